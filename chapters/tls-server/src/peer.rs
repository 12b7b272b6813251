//! 服务器日志里的原因：一个客户端出了问题，用一句中文记下来，然后接着服务下一个。
//!
//! rustls reports a TLS failure as an `io::Error` of kind `InvalidData` that
//! wraps a `rustls::Error`; [`tls_error`] unwraps it. The cases worth their
//! own sentence are the ones a learner causes while trying things out: a
//! plaintext client, a client that does not trust our certificate, a client
//! that hangs up or stays silent.

use std::io::{self, ErrorKind};

use common::errors;
use rustls::{AlertDescription, InvalidMessage};

// ANCHOR: handshake_failure
/// Why a handshake failed, for the server's log.
pub fn handshake_failure(error: &io::Error, certificate_is_a_ca: bool) -> String {
    match tls_error(error) {
        Some(rustls::Error::InvalidMessage(
            InvalidMessage::InvalidContentType
            | InvalidMessage::UnknownProtocolVersion
            | InvalidMessage::MessageTooLarge,
        )) => "对方发来的不是 TLS 数据（是不是用普通的 tcp-client 连了 TLS 服务器？）".to_string(),
        Some(rustls::Error::AlertReceived(AlertDescription::CertificateExpired)) => {
            "客户端说本服务器的证书已经过期（TLS 警报 CertificateExpired）。请重新生成证书：tls-server 生成的那一对，删掉 server.crt 和 server.key 再启动一次即可".to_string()
        }
        // 证书是 CA 证书时，客户端拒绝的原因多半就是它：要改的是服务器这边。
        Some(rustls::Error::AlertReceived(alert))
            if rejects_certificate(*alert) && certificate_is_a_ca =>
        {
            format!(
                "客户端不接受本服务器的证书（它发来了 TLS 警报 {alert:?}）：本服务器的证书是一张 CA 证书（CA:TRUE），验证严格的客户端不能把它当服务器证书用（CaUsedAsEndEntity）。要改的是服务器的证书，不是客户端：{}",
                certs::authority::CA_FIX
            )
        }
        Some(rustls::Error::AlertReceived(alert)) if rejects_certificate(*alert) => format!(
            "客户端不接受本服务器的证书（它发来了 TLS 警报 {alert:?}）。请让客户端信任本服务器的证书，例如 tls-client --ca server.crt，并用证书上的名字连接"
        ),
        Some(rustls::Error::AlertReceived(alert)) => {
            format!("客户端中止了握手（TLS 警报 {alert:?}）")
        }
        Some(rustls::Error::PeerIncompatible(why)) => format!(
            "客户端与本服务器没有共同支持的 TLS 版本或算法（{why:?}）；本服务器只接受 TLS 1.3 和 1.2"
        ),
        Some(rustls::Error::InvalidMessage(InvalidMessage::HandshakePayloadTooLarge)) => {
            "对方发来的握手消息太大，超过了 rustls 允许的上限：这不是正常的 TLS 客户端".to_string()
        }
        Some(other) => format!("对方不按 TLS 协议行事（{other}）"),
        None if error.kind() == ErrorKind::UnexpectedEof => {
            "对方在握手完成前就关闭了连接".to_string()
        }
        None => errors::peer(error),
    }
}
// ANCHOR_END: handshake_failure

/// The alerts a client sends when it does not accept our certificate.
fn rejects_certificate(alert: AlertDescription) -> bool {
    matches!(
        alert,
        AlertDescription::BadCertificate
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnknownCA
            // rustls 的客户端用 --ca 里同名的另一张证书验签失败时发的就是它。
            | AlertDescription::DecryptError
    )
}

/// Why talking to a client failed after the handshake.
pub fn explain(error: &io::Error) -> String {
    match tls_error(error) {
        Some(e) => format!("TLS 错误（{e}）"),
        None => errors::peer(error),
    }
}

/// The `rustls::Error` inside an `io::Error`. rustls reports a TLS failure
/// through `complete_io` or `Stream` as an `io::Error` of kind `InvalidData`
/// that wraps it; this unwraps it so a message can name what went wrong.
fn tls_error(error: &io::Error) -> Option<&rustls::Error> {
    error.get_ref()?.downcast_ref::<rustls::Error>()
}
