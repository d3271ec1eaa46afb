package provisioner

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxListed bounds the ids or names a reason lists.
const maxListed = 5

// reason explains the decision; the second value is its retirement part.
func (p *planner) reason() (string, string) {
	var parts []string
	n := len(p.in.Demand)
	if n > 0 {
		parts = append(parts, fmt.Sprintf("%s %s; free capacity %s",
			plural2(n, "RUNNABLE job needs", "RUNNABLE jobs need"), vcpus(p.demandV), number(p.freeBefore)))
		if p.nPlaced == n {
			parts = append(parts, "all fit on current instances")
		}
	} else {
		parts = append(parts, "no RUNNABLE jobs")
	}
	if len(p.demandItems) > 0 {
		parts = append(parts, "launching "+describe(p.demandItems, p.spot()))
	}
	if p.waitDisabled > 0 {
		parts = append(parts, fmt.Sprintf("compute environment %s: %s, launching nothing",
			p.lim.noLaunch, waiting(p.waitDisabled)))
	}
	if p.waitCapacity > 0 {
		parts = append(parts, fmt.Sprintf("at maxvCpus %d: %s (CAPACITY)", p.lim.max, waiting(p.waitCapacity)))
	}
	if p.waitNoOffer > 0 {
		parts = append(parts, fmt.Sprintf("%s for instance types without capacity (%s)",
			waiting(p.waitNoOffer), list(sortedKeys(p.noOfferTypes))))
	}
	if k := len(p.unplaceable); k > 0 {
		parts = append(parts, fmt.Sprintf("%s no allowed instance type (MISCONFIGURATION)", plural2(k, "job fits", "jobs fit")))
	}
	if len(p.floorItems) > 0 {
		parts = append(parts, fmt.Sprintf("keeping %s %d: launching %s",
			p.lim.floorName, p.lim.floor, describe(p.floorItems, p.spot())))
	}
	retire := p.retireReason()
	if retire != "" {
		parts = append(parts, retire)
	}
	if p.nLaunched == 0 && len(p.retire) == 0 && len(p.slots) > 0 {
		parts = append(parts, fmt.Sprintf("keeping %s (%s)", plural(len(p.slots), "instance"), vcpus(p.kept)))
	}
	return strings.Join(parts, "; "), retire
}

func (p *planner) retireReason() string {
	var parts []string
	if len(p.retiredIdle) > 0 {
		idle := "idle for " + seconds(p.longestIdle)
		if len(p.retiredIdle) > 1 {
			idle = "idle for up to " + seconds(p.longestIdle)
		}
		parts = append(parts, fmt.Sprintf("%s past the %s grace: retiring %s (%s %d)",
			idle, seconds(p.lim.grace), list(p.retiredIdle), p.lim.floorName, p.lim.floor))
	}
	if len(p.keptForFloor) > 0 {
		parts = append(parts, fmt.Sprintf("keeping idle %s for %s %d", list(p.keptForFloor), p.lim.floorName, p.lim.floor))
	}
	if len(p.unregistered) > 0 {
		parts = append(parts, fmt.Sprintf("agent never registered within %s: retiring %s",
			seconds(p.in.RegistrationTimeout), list(p.unregistered)))
	}
	if len(p.drainedIdle) > 0 {
		parts = append(parts, "draining and idle: retiring "+list(p.drainedIdle))
	}
	return strings.Join(parts, "; ")
}

// describe says "2 x c6i.4xlarge (32 vCPUs) at $1.36/h".
func describe(items []LaunchItem, spot bool) string {
	var names []string
	var total, price float64
	for _, it := range items {
		names = append(names, fmt.Sprintf("%d x %s", it.Count, it.Type.Name))
		total += it.Type.VCPUs * float64(it.Count)
		price += it.Type.price(spot) * float64(it.Count)
	}
	return fmt.Sprintf("%s (%s) at $%s/h", strings.Join(names, ", "), vcpus(total), number(price))
}

// vcpus says "1 vCPU", "2.5 vCPUs".
func vcpus(n float64) string {
	if n == 1 {
		return "1 vCPU"
	}
	return number(n) + " vCPUs"
}

func waiting(n int) string { return plural2(n, "job waits", "jobs wait") }

func plural(n int, noun string) string { return plural2(n, noun, noun+"s") }

func plural2(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// number prints a quantity with at most three decimals.
func number(x float64) string {
	return strconv.FormatFloat(math.Round(x*1000)/1000, 'f', -1, 64)
}

// seconds prints a duration as "61s" below two minutes, "5m0s" above.
func seconds(d time.Duration) string {
	if d < 2*time.Minute {
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	}
	return d.Round(time.Second).String()
}

// list joins names, naming at most maxListed.
func list(names []string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
}

func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
