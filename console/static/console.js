// Tanda console: keeps a job's page live (status, reasons, attempts, log)
// by polling the console's JSON. No library; served from 'self' under a
// Content-Security-Policy that allows no inline script.
(function () {
  'use strict';

  var every = 1000;

  function getJSON(url) {
    return fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); throw new Error('signed out'); }
        if (!r.ok) { throw new Error(url + ': ' + r.status); }
        return r.json();
      });
  }

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el && el.textContent !== text) { el.textContent = text; }
  }

  // Job status, reasons and attempts.
  var live = document.getElementById('live');
  var jobDone = !live || live.dataset.terminal === 'true';
  if (live) {
    var attempts = parseInt(live.dataset.attemptCount, 10) || 0;
    var refreshAttempts = function () {
      if (!document.getElementById('attempts')) { return null; } // an array job's
      return fetch(live.dataset.attempts, { credentials: 'same-origin' })
        .then(function (r) {
          // A signed-out request is sent to the sign-in page: show it whole.
          if (r.redirected) { window.location.reload(); }
          return r.ok && !r.redirected ? r.text() : Promise.reject(new Error(String(r.status)));
        })
        .then(function (html) { document.getElementById('attempts').innerHTML = html; });
    };
    var pollJob = function () {
      getJSON(live.dataset.live).then(function (j) {
        var status = document.getElementById('job-status');
        if (status.textContent !== j.status) {
          status.textContent = j.status;
          status.className = 'status status-' + j.status.toLowerCase();
        }
        setText('job-reason', j.statusReason || '');
        setText('job-why', j.why || '');
        setText('job-started', j.startedAt || '');
        setText('job-stopped', j.stoppedAt || '');
        // The reasons are listed when there is more than the summary.
        var list = document.getElementById('job-reasons');
        list.textContent = '';
        (j.reasons.length > 1 ? j.reasons : []).forEach(function (r) {
          var li = document.createElement('li');
          li.textContent = r.text;
          if (r.blocking) { li.className = 'blocking'; }
          list.appendChild(li);
        });
        var changed = j.attempts !== attempts || (j.terminal && !jobDone);
        attempts = j.attempts;
        if (j.terminal) {
          jobDone = true;
          document.querySelectorAll('.actions form').forEach(function (f) { f.hidden = true; });
        }
        return changed ? refreshAttempts() : null;
      }).catch(function () {}).then(function () {
        if (!jobDone) { setTimeout(pollJob, every); }
      });
    };
    if (!jobDone) { setTimeout(pollJob, every); }
  }

  // The log: read page after page; while the job runs, keep asking for
  // more from the last token.
  var log = document.getElementById('log');
  if (log) {
    var token = '';
    var finalRead = false;
    // An earlier attempt's log is complete: read it, do not follow it.
    var fixed = log.dataset.final === 'true';
    var pollLog = function () {
      var sep = log.dataset.log.indexOf('?') < 0 ? '?' : '&';
      var url = log.dataset.log + (token ? sep + 'token=' + encodeURIComponent(token) : '');
      getJSON(url).then(function (p) {
        if (p.lines.length) {
          var atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
          log.appendChild(document.createTextNode(p.lines.join('\n') + '\n'));
          if (atEnd) { log.scrollTop = log.scrollHeight; }
        }
        var more = p.lines.length > 0 && p.nextToken && p.nextToken !== token;
        if (p.nextToken) { token = p.nextToken; }
        if (more) { return setTimeout(pollLog, 0); }
        if (fixed) { return null; }
        if (jobDone) {
          if (finalRead) {
            setText('log-state', 'The latest attempt\'s log' + (log.textContent ? '.' : ': empty.'));
            return null;
          }
          finalRead = true;
          return setTimeout(pollLog, 0);
        }
        return setTimeout(pollLog, every);
      }).catch(function () { setTimeout(pollLog, 5 * every); });
    };
    pollLog();
  }

  // Lists and the dashboard: when asked (the choice is remembered), read
  // the page again every 5 s and swap in its fresh part. The HTML is the
  // console's own, escaped on the server; parsing it runs no script.
  var box = document.getElementById('auto-refresh');
  var region = document.getElementById('refreshable');
  if (box && region) {
    var timer = null;
    var busy = false;
    var schedule = function () {
      busy = false;
      timer = box.checked ? setTimeout(refresh, 5 * every) : null;
    };
    var refresh = function () {
      busy = true;
      fetch(window.location.href, { credentials: 'same-origin' })
        .then(function (r) {
          if (r.redirected) { window.location.reload(); }
          return r.ok && !r.redirected ? r.text() : Promise.reject(new Error(String(r.status)));
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('refreshable');
          if (fresh) { region.innerHTML = fresh.innerHTML; }
        })
        .catch(function () {})
        .then(schedule);
    };
    try { box.checked = window.localStorage.getItem('tanda.autoRefresh') === 'on'; } catch (e) { /* no storage */ }
    box.addEventListener('change', function () {
      try { window.localStorage.setItem('tanda.autoRefresh', box.checked ? 'on' : 'off'); } catch (e) { /* no storage */ }
      if (timer) { clearTimeout(timer); }
      timer = null;
      if (box.checked && !busy) { refresh(); } // a read under way schedules the next itself
    });
    schedule();
  }
}());
