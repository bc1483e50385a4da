// Nothing to call: the target only defines the runtime's command-line entry points.
#ifndef ZCP_START_H
#define ZCP_START_H
#endif
