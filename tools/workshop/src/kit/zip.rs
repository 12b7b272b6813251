//! A .zip writer, just big enough for the kit: every file deflated (or
//! stored, when deflating would not make it smaller), names in UTF-8, one
//! timestamp for all.
//!
//! Why not the `zip` crate: we write one shape of archive and never read
//! one, and the crate brings a dozen codecs and options we would not use.
//! What Windows Explorer needs to open an archive is small and fixed
//! (PKWARE's APPNOTE.TXT, sections 4.3 and 4.4): a local header before each
//! file's bytes, a central directory at the end, and the end record that
//! points at it. The compression itself is `miniz_oxide`'s (pure Rust, no
//! unsafe code), which is what `flate2` would use underneath anyway.
//!
//! No ZIP64: the kit is about 165 MB in about 6,000 files, far below the
//! 4 GiB and 65,535-entry limits of the classic format; past them
//! [`ZipWriter::finish`] refuses instead of writing a broken archive.

use std::io::{self, Write};

use anyhow::{Result, bail};

/// Deflate level: 6 is zlib's default, the usual balance of size and time.
const LEVEL: u8 = 6;

/// "Version needed to extract": 2.0, the first with deflate and folders.
const VERSION_NEEDED: u16 = 20;
/// "Version made by": the same 2.0, made on Unix (3 in the high byte), so
/// that `unzip` restores the Unix modes we record (an executable stays
/// executable). Windows ignores the modes.
const VERSION_MADE_BY: u16 = (3 << 8) | 20;
/// General purpose flag bit 11: the name is UTF-8 (APPNOTE appendix D).
const UTF8_NAME: u16 = 1 << 11;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;

/// One file already written, as the central directory lists it.
struct Entry {
    name: String,
    flags: u16,
    method: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    offset: u64,
    unix_mode: u32,
}

/// Writes an archive to `out`, one [`ZipWriter::add`] per file.
pub struct ZipWriter<W: Write> {
    out: W,
    written: u64,
    entries: Vec<Entry>,
    /// MS-DOS time and date of every entry.
    time: u16,
    date: u16,
}

impl<W: Write> ZipWriter<W> {
    /// `unix_seconds`: the time every entry carries (the kit uses its
    /// commit's time, so the same commit gives the same archive).
    pub fn new(out: W, unix_seconds: u64) -> ZipWriter<W> {
        let (time, date) = dos_time(unix_seconds);
        ZipWriter {
            out,
            written: 0,
            entries: Vec::new(),
            time,
            date,
        }
    }

    /// Adds a file; `name` uses `/` between folders.
    pub fn add(&mut self, name: &str, data: &[u8], unix_mode: u32) -> Result<()> {
        let crc = crc32(data);
        let deflated = deflate(data)?;
        let (method, body) = if deflated.len() < data.len() {
            (DEFLATED, deflated.as_slice())
        } else {
            (STORED, data)
        };
        let entry = Entry {
            name: name.to_string(),
            flags: if name.is_ascii() { 0 } else { UTF8_NAME },
            method,
            crc,
            compressed: body.len() as u64,
            size: data.len() as u64,
            offset: self.written,
            unix_mode,
        };
        let header = local_header(&entry, self.time, self.date)?;
        self.write(&header)?;
        self.write(body)?;
        self.entries.push(entry);
        Ok(())
    }

    /// Writes the central directory and the end record; returns the output.
    pub fn finish(mut self, comment: &str) -> Result<W> {
        let start = self.written;
        let mut directory = Vec::new();
        for entry in &self.entries {
            directory.extend(central_header(entry, self.time, self.date)?);
        }
        self.write(&directory)?;
        let count = small(self.entries.len() as u64, "文件数")?;
        let mut end = Vec::new();
        put32(&mut end, 0x0605_4b50);
        put16(&mut end, 0); // this disk
        put16(&mut end, 0); // the disk the directory starts on
        put16(&mut end, count);
        put16(&mut end, count);
        put32(&mut end, large(directory.len() as u64)?);
        put32(&mut end, large(start)?);
        put16(&mut end, small(comment.len() as u64, "注释长度")?);
        end.extend(comment.as_bytes());
        self.write(&end)?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }
}

/// How much of a file is deflated between two looks at Ctrl-C.
const PIECE: usize = 1 << 20;

/// Raw deflate (no zlib header), as `miniz_oxide::deflate::compress_to_vec`
/// makes it, but a piece at a time with a look at Ctrl-C between pieces:
/// the vendored Windows import libraries are 13 MB each, and a debug build
/// on a busy machine took longer over one of them than the 5 seconds
/// workshop gives its clean-up after Ctrl-C, so the half-made kit stayed.
fn deflate(data: &[u8]) -> Result<Vec<u8>> {
    use miniz_oxide::deflate::core::{
        CompressorOxide, TDEFLFlush, TDEFLStatus, compress_to_output,
        create_comp_flags_from_zip_params,
    };
    let mut compressor =
        CompressorOxide::new(create_comp_flags_from_zip_params(LEVEL.into(), 0, 0));
    let mut out = Vec::with_capacity(data.len() / 2);
    let mut rest = data;
    loop {
        process_runner::check()?;
        let last = rest.len() <= PIECE;
        let piece = &rest[..rest.len().min(PIECE)];
        let flush = if last {
            TDEFLFlush::Finish
        } else {
            TDEFLFlush::None
        };
        let (status, used) = compress_to_output(&mut compressor, piece, flush, |bytes| {
            out.extend_from_slice(bytes);
            true
        });
        match status {
            TDEFLStatus::Done if last => return Ok(out),
            TDEFLStatus::Okay if used <= rest.len() => rest = &rest[used..],
            other => bail!("压缩失败（{other:?}）"),
        }
    }
}

/// APPNOTE 4.3.7: what comes before each file's bytes.
fn local_header(entry: &Entry, time: u16, date: u16) -> Result<Vec<u8>> {
    let mut header = Vec::with_capacity(30 + entry.name.len());
    put32(&mut header, 0x0403_4b50);
    put16(&mut header, VERSION_NEEDED);
    put16(&mut header, entry.flags);
    put16(&mut header, entry.method);
    put16(&mut header, time);
    put16(&mut header, date);
    put32(&mut header, entry.crc);
    put32(&mut header, large(entry.compressed)?);
    put32(&mut header, large(entry.size)?);
    put16(&mut header, small(entry.name.len() as u64, "文件名长度")?);
    put16(&mut header, 0); // no extra field
    header.extend(entry.name.as_bytes());
    Ok(header)
}

/// APPNOTE 4.3.12: the file's line in the central directory.
fn central_header(entry: &Entry, time: u16, date: u16) -> Result<Vec<u8>> {
    let mut header = Vec::with_capacity(46 + entry.name.len());
    put32(&mut header, 0x0201_4b50);
    put16(&mut header, VERSION_MADE_BY);
    put16(&mut header, VERSION_NEEDED);
    put16(&mut header, entry.flags);
    put16(&mut header, entry.method);
    put16(&mut header, time);
    put16(&mut header, date);
    put32(&mut header, entry.crc);
    put32(&mut header, large(entry.compressed)?);
    put32(&mut header, large(entry.size)?);
    put16(&mut header, small(entry.name.len() as u64, "文件名长度")?);
    put16(&mut header, 0); // no extra field
    put16(&mut header, 0); // no comment
    put16(&mut header, 0); // disk number
    put16(&mut header, 0); // internal attributes
    put32(&mut header, entry.unix_mode << 16); // external attributes
    put32(&mut header, large(entry.offset)?);
    header.extend(entry.name.as_bytes());
    Ok(header)
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend(value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend(value.to_le_bytes());
}

/// A size or offset in a 32-bit field.
fn large(value: u64) -> Result<u32> {
    match u32::try_from(value) {
        Ok(value) => Ok(value),
        Err(_) => bail!("离线包超过了 zip 格式 4 GB 的上限（本程序不写 ZIP64）"),
    }
}

/// A count or length in a 16-bit field.
fn small(value: u64, what: &str) -> Result<u16> {
    match u16::try_from(value) {
        Ok(value) => Ok(value),
        Err(_) => bail!("离线包的{what}超过了 zip 格式的上限 65535（本程序不写 ZIP64）"),
    }
}

/// CRC-32 as zip uses it (the IEEE polynomial, reflected), bit by bit with
/// a table of the 256 byte values built at compile time.
pub fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut byte = 0;
        while byte < 256 {
            let mut crc = byte as u32;
            let mut bit = 0;
            while bit < 8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
                bit += 1;
            }
            table[byte] = crc;
            byte += 1;
        }
        table
    };
    let mut crc = !0u32;
    for &byte in data {
        crc = TABLE[((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// Unix time → MS-DOS (time, date), UTC. DOS dates start in 1980 and keep
/// seconds in steps of two; a time before 1980 becomes 1980-01-01.
fn dos_time(unix_seconds: u64) -> (u16, u16) {
    let days = unix_seconds / 86_400;
    let seconds = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    if year < 1980 {
        return (0, (1 << 5) | 1);
    }
    let year = year.min(2107);
    let time = ((seconds / 3600) << 11) | ((seconds % 3600 / 60) << 5) | ((seconds % 60) / 2);
    let date = ((year - 1980) << 9) | (month << 5) | day;
    (time as u16, date as u16)
}

/// Days since 1970-01-01 → (year, month, day), Howard Hinnant's algorithm
/// (proleptic Gregorian calendar).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_published_check_value() {
        // The check value every CRC-32/ISO-HDLC implementation publishes.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn dates_become_dos_dates() {
        // 2026-12-06 08:14:31 UTC.
        let (time, date) = dos_time(1_796_544_871);
        assert_eq!(date >> 9, 2026 - 1980);
        assert_eq!((date >> 5) & 0xf, 12);
        assert_eq!(date & 0x1f, 6);
        assert_eq!(time >> 11, 8);
        assert_eq!((time >> 5) & 0x3f, 14);
        assert_eq!((time & 0x1f) * 2, 30);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(dos_time(0), (0, (1 << 5) | 1));
    }

    /// The archive as a reader sees it: Python's zipfile, an independent
    /// implementation, reads it back and checks every CRC.
    #[test]
    fn python_reads_back_what_was_written() {
        let Some(python) = testkit::python3() else {
            return;
        };
        let mut zip = ZipWriter::new(Vec::new(), 1_796_544_871);
        // Over two pieces of PIECE bytes: deflated in three calls, read back whole.
        let big = "一次 recv 不等于一条消息。\n".repeat(80_000);
        zip.add("kit/先看我.txt", "你好\r\n".as_bytes(), 0o100644)
            .unwrap();
        zip.add("kit/big.txt", big.as_bytes(), 0o100644).unwrap();
        zip.add("kit/.ci/run", b"#!/bin/sh\n", 0o100755).unwrap();
        zip.add("kit/empty", b"", 0o100644).unwrap();
        let bytes = zip.finish("socket-kit test").unwrap();
        let dir = std::env::temp_dir().join(format!("zip-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.zip");
        std::fs::write(&path, &bytes).unwrap();
        let script = "import sys, zipfile\n\
            z = zipfile.ZipFile(sys.argv[1])\n\
            assert z.testzip() is None\n\
            for i in z.infolist():\n\
            \x20   print(i.filename, i.compress_type, i.file_size, oct(i.external_attr >> 16), len(z.read(i)))\n\
            print(z.comment.decode())\n";
        let out = std::process::Command::new(python)
            .args(["-c", script])
            .arg(&path)
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            lines,
            [
                "kit/先看我.txt 0 8 0o100644 8".to_string(),
                format!("kit/big.txt 8 {} 0o100644 {}", big.len(), big.len()),
                "kit/.ci/run 0 10 0o100755 10".to_string(),
                "kit/empty 0 0 0o100644 0".to_string(),
                "socket-kit test".to_string(),
            ]
        );
    }
}
