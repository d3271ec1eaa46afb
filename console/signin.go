package console

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/tanda-batch/tanda/api/sigv4"
)

// signInBody is the sign-in page.
type signInBody struct {
	Next, KeyID, Problem string
}

// signInPage shows the sign-in form, or redeems a one-time link's token.
func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if token := q.Get("token"); token != "" {
		c.redeemLink(w, r, token)
		return
	}
	if _, err := c.session(r); err == nil {
		http.Redirect(w, r, next(q.Get("next")), http.StatusSeeOther)
		return
	}
	c.render(w, nil, http.StatusOK, "signin", "Sign in", signInBody{Next: next(q.Get("next"))})
}

// redeemLink signs in with a one-time link: the token is used up whatever
// happens next.
func (c *Console) redeemLink(w http.ResponseWriter, r *http.Request, token string) {
	now := c.o.Clock.Now()
	keyID, ok := c.links.redeem(token, now)
	if !ok {
		c.render(w, nil, http.StatusUnauthorized, "signin", "Sign in", signInBody{
			Next: Prefix, Problem: "That sign-in link has been used or has expired. Sign in with an access key instead.",
		})
		return
	}
	secret, err := c.o.Keys.SecretFor(r.Context(), keyID)
	if err != nil {
		c.o.Logger.Warn("console sign-in link for an unusable key", "accessKeyId", keyID, "err", err)
		c.render(w, nil, http.StatusUnauthorized, "signin", "Sign in", signInBody{
			Next: Prefix, Problem: "The access key of that sign-in link is revoked or unknown.",
		})
		return
	}
	c.o.Logger.Info("console sign-in", "accessKeyId", keyID, "by", "link")
	setSessionCookie(w, r, newSession(keyID, secret, now, c.o.SessionTTL), now)
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

// signIn checks an access key id and secret and opens a session.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	if crossSite(r) {
		c.renderError(w, r, nil, http.StatusForbidden, "Refused", "Sign-in forms must be posted from this console.")
		return
	}
	keyID := strings.TrimSpace(r.PostFormValue("accessKeyId"))
	given := strings.TrimSpace(r.PostFormValue("secretAccessKey"))
	nextPath := next(r.PostFormValue("next"))
	refuse := func(problem string) {
		c.render(w, nil, http.StatusUnauthorized, "signin", "Sign in", signInBody{Next: nextPath, KeyID: keyID, Problem: problem})
	}
	if keyID == "" || given == "" {
		refuse("Enter an access key id and its secret.")
		return
	}
	secret, err := c.o.Keys.SecretFor(r.Context(), keyID)
	if err != nil || subtle.ConstantTimeCompare([]byte(secret), []byte(given)) != 1 {
		if err != nil && !isUnknownKey(err) {
			c.o.Logger.Error("console sign-in: looking up access key", "accessKeyId", keyID, "err", err)
		}
		c.o.Logger.Info("console sign-in refused", "accessKeyId", keyID)
		refuse("That access key id and secret do not match an active access key.")
		return
	}
	now := c.o.Clock.Now()
	c.o.Logger.Info("console sign-in", "accessKeyId", keyID, "by", "access key")
	setSessionCookie(w, r, newSession(keyID, secret, now, c.o.SessionTTL), now)
	http.Redirect(w, r, nextPath, http.StatusSeeOther)
}

// signOut ends the session in this browser.
func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	if s, err := c.session(r); err == nil && (crossSite(r) || !s.validCSRF(r.PostFormValue("csrf"))) {
		c.renderError(w, r, s, http.StatusForbidden, "Refused", "Bad or missing CSRF token.")
		return
	}
	clearSessionCookie(w, r)
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
}

// next is where to go after signing in: a console path, else the
// dashboard.
func next(p string) string {
	if isConsolePath(p) {
		return p
	}
	return Prefix
}

// isUnknownKey reports whether a key lookup failed because there is no
// such active key (rather than because the store failed).
func isUnknownKey(err error) bool { return errors.Is(err, sigv4.ErrUnknownKey) }
