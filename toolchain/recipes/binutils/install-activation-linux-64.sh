#!/bin/bash
# binutils_linux-64: activation for the native linux-64 binutils.
exec bash "$RECIPE_DIR/write-activation.sh" x86_64-conda-linux-gnu linux-64
