//! `SSLKEYLOGFILE`：把 TLS 会话密钥写进一个文件，好让 Wireshark 解密抓到的包。
//!
//! Browsers, curl, OpenSSL-based programs and the rustls examples all honour
//! this variable: when it names a file, each session's secrets are appended
//! to it in the NSS key log format, which Wireshark reads
//! (`tls.keylog_file`). rustls's `KeyLogFile` does the writing; the
//! chapters set it on their config. What this module adds is the part a
//! learner needs to hear: one line saying that the secrets go there and
//! what that means, or, when the file cannot be written (rustls would then
//! write nothing, silently), why.

use std::ffi::OsStr;
use std::fs::OpenOptions;
use std::path::Path;

use anyhow::{Result, bail};
use common::esay;

/// Says where the secrets go and what the file means, once `KeyLogFile`
/// has opened (or failed to open) `file`.
pub fn announce(file: &OsStr) -> Result<()> {
    let path = Path::new(file);
    // KeyLogFile 已经试着创建（追加）过这个文件；这里再打开一次只为知道它成没成功。
    if let Err(e) = OpenOptions::new().append(true).open(path) {
        bail!(
            "无法写入 SSLKEYLOGFILE 指定的文件 {}：{e}。请确认文件夹存在并且可以写入，或者不设置 SSLKEYLOGFILE",
            path.display()
        );
    }
    esay!(
        "SSLKEYLOGFILE：本程序把 TLS 会话密钥写进 {}；有了这个文件，任何抓到这次通信的人都能解密它，用完请删掉",
        path.display()
    );
    Ok(())
}
