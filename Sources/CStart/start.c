// The command line for the Swift runtime, taken from what glibc hands every initializer.
//
// The statically linked runtime otherwise finds argv at start-up by reading /proc/self/maps
// (to locate the stack) and walking back from environ: an open, five reads of a file the
// kernel formats on every read, and a sscanf per mapping, in every run of a program that
// backups start once per file. Defining its two entry points here keeps that object of the
// runtime archive out of the link (the linker takes an archive member only for a symbol
// nothing else defines); a runtime that needed another symbol of it would fail to link,
// loudly, on a duplicate definition.
#include "start.h"

static char **arguments;
static int argumentCount;

static void remember(int argc, char **argv, char **envp) {
    (void)envp;
    argumentCount = argc;
    arguments = argv;
}

__attribute__((section(".init_array"), used))
static void (*const rememberArguments)(int, char **, char **) = remember;

__attribute__((swiftcall, visibility("default")))
char **_swift_stdlib_getUnsafeArgvArgc(int *outArgLen) {
    *outArgLen = argumentCount;
    return arguments;
}

__attribute__((swiftcall, visibility("default")))
void _swift_stdlib_overrideUnsafeArgvArgc(char **argv, int argc) {
    arguments = argv;
    argumentCount = argc;
}
