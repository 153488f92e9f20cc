package localcloud

import "golang.org/x/sys/windows"

// errAddrInUse is what Windows answers for a taken port.
var errAddrInUse error = windows.WSAEADDRINUSE
