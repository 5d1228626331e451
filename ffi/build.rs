//! Gives the shared library a SONAME, `libmatrixauth.so.<major>`, so programs linked against it
//! record the ABI they need and the loader finds the installed versioned file
//! (scripts/install-c.sh installs libmatrixauth.so.X.Y.Z with the .so.X and .so links).

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".to_owned());
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmatrixauth.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
