package lambda

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"fmt"
	"io"
	"runtime"
)

// hostPlatform is the GOOS/GOARCH of this machine: the only platform whose
// bootstraps the local cloud can start.
func hostPlatform() string { return runtime.GOOS + "/" + runtime.GOARCH }

// Executable formats binPlatform tells apart.
const (
	fmtUnknown = iota
	fmtELF
	fmtMachO
	fmtPE
)

// binPlatform reads an executable's header and says which OS and
// architecture it is for, in GOOS/GOARCH spelling ("linux/amd64",
// "darwin/arm64", "windows/amd64"). A macOS universal binary answers the
// host's architecture when it holds it. format is fmtUnknown (and err nil)
// when r is no executable format it knows.
func binPlatform(r io.ReaderAt) (platform string, format int, err error) {
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return "", fmtUnknown, nil
	}
	switch {
	case string(magic[:]) == "\x7fELF":
		f, err := elf.NewFile(r)
		if err != nil {
			return "", fmtELF, fmt.Errorf("a damaged ELF file: %v", err)
		}
		defer f.Close()
		goos := "linux"
		if f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
			goos = osabiName(f.OSABI)
		}
		return goos + "/" + elfArch(f.Machine), fmtELF, nil
	case magic == [4]byte{0xca, 0xfe, 0xba, 0xbe}: // universal (fat) Mach-O
		f, err := macho.NewFatFile(r)
		if err != nil {
			return "", fmtMachO, fmt.Errorf("a damaged Mach-O file: %v", err)
		}
		defer f.Close()
		arch := ""
		for _, a := range f.Arches {
			arch = machoArch(a.Cpu)
			if "darwin/"+arch == hostPlatform() {
				break
			}
		}
		return "darwin/" + arch, fmtMachO, nil
	case magic == [4]byte{0xcf, 0xfa, 0xed, 0xfe} || magic == [4]byte{0xce, 0xfa, 0xed, 0xfe}:
		f, err := macho.NewFile(r)
		if err != nil {
			return "", fmtMachO, fmt.Errorf("a damaged Mach-O file: %v", err)
		}
		defer f.Close()
		return "darwin/" + machoArch(f.Cpu), fmtMachO, nil
	case magic[0] == 'M' && magic[1] == 'Z':
		f, err := pe.NewFile(r)
		if err != nil {
			return "", fmtPE, fmt.Errorf("a damaged Windows executable: %v", err)
		}
		defer f.Close()
		return "windows/" + peArch(f.Machine), fmtPE, nil
	}
	return "", fmtUnknown, nil
}

// GOARCH names of the machines in each format's header.
var (
	elfArches   = map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_386: "386", elf.EM_ARM: "arm", elf.EM_RISCV: "riscv64"}
	elfOSes     = map[elf.OSABI]string{elf.ELFOSABI_FREEBSD: "freebsd", elf.ELFOSABI_NETBSD: "netbsd", elf.ELFOSABI_OPENBSD: "openbsd"}
	machoArches = map[macho.Cpu]string{macho.CpuAmd64: "amd64", macho.CpuArm64: "arm64", macho.Cpu386: "386"}
	peArches    = map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "amd64", pe.IMAGE_FILE_MACHINE_ARM64: "arm64", pe.IMAGE_FILE_MACHINE_I386: "386"}
)

// named returns names[k], or k's own spelling for one it does not know.
func named[K comparable](names map[K]string, k K) string {
	if n, ok := names[k]; ok {
		return n
	}
	return fmt.Sprint(k)
}

func elfArch(m elf.Machine) string { return named(elfArches, m) }
func osabiName(o elf.OSABI) string { return named(elfOSes, o) }
func machoArch(c macho.Cpu) string { return named(machoArches, c) }
func peArch(m uint16) string       { return named(peArches, m) }
