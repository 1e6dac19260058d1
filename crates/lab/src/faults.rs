//! The scenarios that do not speak SMTP: silence, other services, garbage.

use crate::server::{Ctx, Io};
use std::io;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Most bytes the silent server reads (and drops) before it gives up on the client.
const SILENT_READ_CAP: usize = 1024 * 1024;
/// Longest SSH identification line a client may send (RFC 4253 section 4.2).
const SSH_ID_MAX: usize = 255;

/// Says nothing; reads and drops what the client sends until it closes, [`SILENT_READ_CAP`]
/// bytes have come, or the connection's lifetime cap ends it.
pub(crate) async fn silent(mut tcp: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    let mut seen = 0;
    while seen < SILENT_READ_CAP {
        match tcp.read(&mut buf).await? {
            0 => break,
            n => seen += n,
        }
    }
    Ok(())
}

/// nginx's answer to a request it cannot parse, sent at once, then a close.
pub(crate) async fn http(mut io: Io) -> io::Result<()> {
    let body = "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n\
                <center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n\
                </body>\r\n</html>\r\n";
    let response = format!(
        "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    io.write_all(response.as_bytes()).await?;
    io.close().await
}

/// OpenSSH's identification banner; a client line that is not an SSH identification gets
/// OpenSSH's complaint and a close, an SSH client is held until it leaves.
pub(crate) async fn ssh(mut io: Io, ctx: &Ctx) -> io::Result<()> {
    io.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n").await?;
    let mut line = Vec::new();
    let mut buf = [0u8; 256];
    let read_line = async {
        while !line.contains(&b'\n') && line.len() < SSH_ID_MAX {
            match io.read(&mut buf).await? {
                0 => break,
                n => line.extend_from_slice(buf.get(..n).unwrap_or_default()),
            }
        }
        Ok::<_, io::Error>(())
    };
    match timeout(ctx.options.command_timeout, read_line).await {
        Ok(result) => result?,
        Err(_) => return Ok(()),
    }
    if line.is_empty() {
        return Ok(());
    }
    if !line.starts_with(b"SSH-") {
        io.write_all(b"Invalid SSH identification string.\r\n")
            .await?;
        return io.close().await;
    }
    // An SSH client: a real server would now exchange keys; the lab just waits for the end.
    let mut seen = line.len();
    while seen < SILENT_READ_CAP {
        match io.read(&mut buf).await? {
            0 => break,
            n => seen += n,
        }
    }
    Ok(())
}

/// `bytes` pseudo-random printable ASCII bytes (space to tilde), no CR or LF, then a close.
pub(crate) async fn garbage(mut io: Io, bytes: usize) -> io::Result<()> {
    const CHUNK: usize = 64 * 1024;
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut chunk = vec![0u8; CHUNK];
    let mut sent = 0;
    while sent < bytes {
        let n = CHUNK.min(bytes - sent);
        let part = chunk.get_mut(..n).unwrap_or_default();
        for byte in part.iter_mut() {
            *byte = rng.printable();
        }
        io.write_all(part).await?;
        sent += n;
    }
    io.close().await
}

/// A greeting that never ends: a `220-` continuation line per `drip_interval`, each one a
/// complete line well within any read timeout, until the client leaves or the connection's
/// lifetime cap ends it.
pub(crate) async fn drip(mut io: Io, ctx: &Ctx) -> io::Result<()> {
    for n in 1u64.. {
        let line = format!("220-mx.lab.invalid greeting line {n}, more to come\r\n");
        io.write_all(line.as_bytes()).await?;
        tokio::time::sleep(ctx.options.drip_interval).await;
    }
    Ok(())
}

/// The first line of a two-line greeting, then a reset: SO_LINGER 0 makes the close send RST
/// instead of FIN, as a crashing server or a middlebox killing the session does.
pub(crate) async fn reset(mut tcp: TcpStream) -> io::Result<()> {
    use tokio::io::AsyncWriteExt;
    tcp.write_all(b"220-mx.lab.invalid ESMTP\r\n220 smtp-doctor")
        .await?;
    tcp.flush().await?;
    // Let the bytes leave before the reset discards the send queue.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    socket2::SockRef::from(&tcp).set_linger(Some(std::time::Duration::ZERO))?;
    drop(tcp);
    Ok(())
}

/// A tiny xorshift64 generator: the garbage only has to look random, not be.
struct XorShift(u64);

impl XorShift {
    /// The next byte in 0x20..=0x7e.
    fn printable(&mut self) -> u8 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        // 95 printable characters; the modulo bias does not matter here.
        b' ' + u8::try_from((x >> 32) % 95).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_bytes_are_printable_and_varied() {
        let mut rng = XorShift(1);
        let bytes: Vec<u8> = (0..10_000).map(|_| rng.printable()).collect();
        assert!(bytes.iter().all(|b| (0x20..=0x7e).contains(b)));
        let mut distinct = bytes.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(
            distinct.len() > 80,
            "only {} distinct bytes",
            distinct.len()
        );
    }
}
