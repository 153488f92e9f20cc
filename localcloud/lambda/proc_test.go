package lambda

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnvironHas(t *testing.T) {
	block := []byte("PATH=/bin\x00AWS_LAMBDA_LOG_STREAM_NAME=s1\x00X=1\x00")
	tests := []struct {
		marker string
		want   bool
	}{
		{"AWS_LAMBDA_LOG_STREAM_NAME=s1", true},
		{"PATH=/bin", true},
		{"X=1", true},
		{"AWS_LAMBDA_LOG_STREAM_NAME=s", false},   // a prefix of an entry
		{"LOG_STREAM_NAME=s1", false},             // a suffix of an entry
		{"AWS_LAMBDA_LOG_STREAM_NAME=s12", false}, // longer than the entry
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, environHas(block, tt.marker), tt.marker)
	}
	assert.False(t, environHas(nil, "X=1"))
}

// procArgs2 builds a kern.procargs2 answer as macOS lays it out.
func procArgs2(exe string, args, env []string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(args)))
	b = append(b, exe...)
	b = append(b, 0, 0, 0, 0) // NUL and padding
	for _, a := range args {
		b = append(b, a...)
		b = append(b, 0)
	}
	for _, e := range env {
		b = append(b, e...)
		b = append(b, 0)
	}
	return b
}

func TestProcArgsEnviron(t *testing.T) {
	b := procArgs2("/var/x/bootstrap", []string{"bootstrap", "AWS_LAMBDA_LOG_STREAM_NAME=looks-like-env"}, []string{"A=1", "AWS_LAMBDA_LOG_STREAM_NAME=s1"})
	env := procArgsEnviron(b)
	assert.True(t, environHas(env, "AWS_LAMBDA_LOG_STREAM_NAME=s1"))
	assert.True(t, environHas(env, "A=1"))
	assert.False(t, environHas(env, "AWS_LAMBDA_LOG_STREAM_NAME=looks-like-env"), "an argument is not the environment")
	assert.False(t, environHas(env, "bootstrap"))

	for name, bad := range map[string][]byte{
		"empty":        nil,
		"short":        {1, 0},
		"no exe end":   append(binary.LittleEndian.AppendUint32(nil, 1), "/exe"...),
		"missing args": procArgs2("/exe", nil, nil)[:4+4],
	} {
		assert.Nil(t, procArgsEnviron(bad), name)
	}
}

// rusageInfoV4Fields mirrors struct rusage_info_v4 of macOS's <sys/resource.h>
// field by field, to check the offsets peakMemoryMB reads on a Mac.
type rusageInfoV4Fields struct {
	UUID                                                             [16]byte
	UserTime, SystemTime, PkgIdleWkups, InterruptWkups, Pageins      uint64
	WiredSize, ResidentSize, PhysFootprint                           uint64
	ProcStartAbstime, ProcExitAbstime                                uint64
	ChildUserTime, ChildSystemTime, ChildPkgIdleWkups                uint64
	ChildInterruptWkups, ChildPageins, ChildElapsedAbstime           uint64
	DiskioBytesread, DiskioByteswritten                              uint64
	CPUTimeQosDefault, CPUTimeQosMaintenance, CPUTimeQosBackground   uint64
	CPUTimeQosUtility, CPUTimeQosLegacy, CPUTimeQosUserInitiated     uint64
	CPUTimeQosUserInteractive, BilledSystemTime, ServicedSystemTime  uint64
	LogicalWrites, LifetimeMaxPhysFootprint, Instructions, Cycles    uint64
	BilledEnergy, ServicedEnergy, IntervalMaxPhysFootprint, Runnable uint64
}

func TestRusagePeakMB(t *testing.T) {
	info := rusageInfoV4Fields{
		ResidentSize:             900 << 20, // current, not the peak
		PhysFootprint:            800 << 20,
		LifetimeMaxPhysFootprint: 37<<20 + 1, // rounds up
		IntervalMaxPhysFootprint: 700 << 20,
	}
	var buf bytes.Buffer
	require.NoError(t, binary.Write(&buf, binary.LittleEndian, info))
	require.Equal(t, rusageInfoV4Size, buf.Len(), "rusage_info_v4 is 296 bytes (16-byte uuid + 35 uint64)")
	assert.Equal(t, 38, rusagePeakMB(buf.Bytes()))
	assert.Equal(t, 0, rusagePeakMB(buf.Bytes()[:rusageInfoV4Size-1]), "a short answer")
}
