import ZcpCore

#if canImport(Glibc)
import Glibc
#endif

exit(Zcp.main(argc: CommandLine.argc, argv: CommandLine.unsafeArgv))
