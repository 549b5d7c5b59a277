//! A build script: in a cross build it is compiled, linked and run for the build machine, and tells the program
//! which target it was built for.
fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=HELLO_RS_TARGET={target}");
}
