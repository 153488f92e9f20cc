//go:build unix

package localcloud

import "syscall"

var errAddrInUse error = syscall.EADDRINUSE
