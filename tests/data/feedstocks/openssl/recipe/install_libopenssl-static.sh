#!/bin/bash

mkdir -p ${PREFIX}/lib
cp libcrypto.a ${PREFIX}/lib/
cp libssl.a ${PREFIX}/lib/
