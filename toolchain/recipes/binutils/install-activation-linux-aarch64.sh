#!/bin/bash
# binutils_linux-aarch64: activation for the binutils whose target is linux-aarch64.
exec bash "$RECIPE_DIR/write-activation.sh" aarch64-conda-linux-gnu linux-aarch64
