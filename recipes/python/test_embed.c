/* Embeds the packaged libpython: initialise, run code that checks the standard library, finalise. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdio.h>

int main(void) {
    Py_Initialize();
    int rc = PyRun_SimpleString(
        "import sys, json, sqlite3\n"
        "assert json.loads('[1, 2]') == [1, 2]\n"
        "print('embedded', '.'.join(map(str, sys.version_info[:3])), sqlite3.sqlite_version)\n");
    if (Py_FinalizeEx() < 0 || rc != 0) {
        fprintf(stderr, "embedding failed\n");
        return 1;
    }
    return 0;
}
