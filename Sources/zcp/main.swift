import CStart
import ZcpCore

#if canImport(Glibc)
    import Glibc
#endif

Zcp.installSignalHandlers()
exit(Zcp.main(argc: CommandLine.argc, argv: CommandLine.unsafeArgv))
