//! What `tls-server` and `tls-client` both need to say about a TLS connection.
//!
//! Compiled only with the `tls` feature, which only the two TLS programs
//! turn on: the other chapters do not build rustls.

use std::io;

use rustls::CommonState;

/// The `rustls::Error` inside an `io::Error`. rustls reports a TLS failure
/// through `complete_io` or `Stream` as an `io::Error` of kind `InvalidData`
/// that wraps it; this unwraps it so a message can name what went wrong.
pub fn tls_error(error: &io::Error) -> Option<&rustls::Error> {
    error.get_ref()?.downcast_ref::<rustls::Error>()
}

/// What the handshake agreed on, e.g. `TLSv1_3，TLS13_AES_256_GCM_SHA384`.
/// A server and a client connection both deref to `CommonState`.
pub fn negotiated(tls: &CommonState) -> String {
    match (tls.protocol_version(), tls.negotiated_cipher_suite()) {
        (Some(version), Some(suite)) => format!("{version:?}，{:?}", suite.suite()),
        _ => "版本和算法未知".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_rustls_error_is_found_and_a_plain_one_is_not() {
        let wrapped = io::Error::new(io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        assert!(matches!(
            tls_error(&wrapped),
            Some(rustls::Error::DecryptError)
        ));
        assert!(tls_error(&io::Error::from(io::ErrorKind::TimedOut)).is_none());
    }
}
