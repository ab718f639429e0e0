/*
 * fuzz_replay.c — `optlab replay FILE` on hostile trajectory files (the
 * subcommand itself, src/cli/cmd_replay.c; its output goes to /dev/null).
 */
#include "fuzz.h"
#include "cli.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    if (!freopen("/dev/null", "w", stdout)) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_file("trajectory.txt", data, size);
    char arg0[] = "replay", arg1[512];
    snprintf(arg1, sizeof arg1, "%s", path);
    char *argv[] = {arg0, arg1, NULL};
    (void)cmd_replay(2, argv);
    fflush(stdout);
    return 0;
}
