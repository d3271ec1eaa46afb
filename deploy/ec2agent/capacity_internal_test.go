package ec2agent

import "testing"

func TestMemTotalMiB(t *testing.T) {
	tests := []struct {
		name    string
		meminfo string
		want    int64
		wantErr bool
	}{
		{"linux", "MemTotal:       16315668 kB\nMemFree:         1234 kB\n", 15933, false},
		{"not first", "Foo: 1 kB\nMemTotal: 2048 kB\n", 2, false},
		{"absent", "MemFree: 1 kB\n", 0, true},
		{"garbled", "MemTotal: lots\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := memTotalMiB([]byte(tt.meminfo))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("memTotalMiB = %d, %v; want %d, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestHostCapacity(t *testing.T) {
	c, err := HostCapacity()
	if err != nil {
		t.Skipf("no /proc/meminfo here: %v", err)
	}
	if c.VCPUs < 1 || c.MemoryMiB < 1 || c.Source != FromHost {
		t.Errorf("HostCapacity() = %+v, want at least 1 vCPU and 1 MiB from the host", c)
	}
}
