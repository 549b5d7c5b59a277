# The libdemo-dev output's own script: runs after the build script; what it adds to $PREFIX is that package's.
mkdir -p "$PREFIX/include"
cp demo.h "$PREFIX/include/demo.h"
