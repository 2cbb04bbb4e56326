//! UniFFI's bindings generator, built from the same uniffi version as the
//! library: `uniffi-bindgen generate --library libmobile_bindings.so ...`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
