//! The exercises, in the article's order: where each one's file is, which
//! section of the article and page of the book it belongs to, its hints
//! (a nudge first, then more), its answer key, its checks and the mistakes
//! they recognise.
//!
//! This list is the one place that says how many exercises there are:
//! every count in a message, the `--list` table and the tests is its
//! length. Adding an exercise is an entry here and its files (see
//! exercises/README.md); the tests check that the entry, the two
//! Cargo.toml files and the wrong-program corpus agree.

use super::outcome::{Check, Mistake};
use super::{ex1, ex2, ex3, ex4, ex5, ex6, ex7};

/// One exercise.
pub struct Exercise {
    /// 1 to 7: what `check N` takes.
    pub number: usize,
    /// The binary: `cargo build -p exercises --bin ex1`.
    pub bin: &'static str,
    /// The learner's file, from the repository root.
    pub file: &'static str,
    pub title: &'static str,
    /// The article's section.
    pub section: &'static str,
    /// The book's page about it, from the repository root.
    pub page: &'static str,
    /// The answer key, from the repository root.
    pub solution: &'static str,
    /// `fingerprint::of` the file as it is shipped, untouched: how `--list`
    /// and the tests tell an untouched exercise from one the learner started.
    pub untouched: u64,
    /// A nudge first, then more; `check N --hint` gives the next one.
    pub hints: &'static [&'static str],
    pub checks: &'static [Check],
    /// The mistakes its checks recognise, each with a wrong program of
    /// that kind in tools/workshop/tests/wrong/.
    pub mistakes: &'static [&'static Mistake],
}

pub const EXERCISES: &[Exercise] = &[
    Exercise {
        number: 1,
        bin: "ex1",
        file: "exercises/ex1_tcp_server.rs",
        title: "TCP 服务器",
        section: "常见实践 / 简单的 TCP 服务器",
        page: "docs/src/tcp.md",
        solution: "tools/workshop/solutions/ex1_tcp_server.rs",
        untouched: 0x6499_86fb_25f3_6ea5,
        hints: &[
            "程序打印的那一行“还没写：TODO 1（…）”说出了下一步该写哪个函数。每个 TODO 只要一两行：\
             原文的一行，在 std 里对应一个方法。写好一个 TODO，就把它的 Err(not_written(…)) 删掉，再检查一次。",
            "四个 TODO 依次是：TcpListener::bind(server_address)（socket、bind、listen 三步合一）；\
             server_socket.accept()；connection.read(&mut 缓冲区)，它返回读到的字节数 n，数据是 缓冲区[..n]；\
             connection.write_all(TCP_REPLY.as_bytes())，它就是 sendall（TCP_REPLY 是 &str，as_bytes() 把它变成要发送的字节）。",
            "TODO 3 可以这样写：let mut data = [0; BUFFER_SIZE]; let received = connection.read(&mut data)?; \
             Ok(data[..received].to_vec())。写完整的服务器见 chapters/tcp-server/src/main.rs 的 receive_and_reply。",
        ],
        checks: ex1::CHECKS,
        mistakes: ex1::MISTAKES,
    },
    Exercise {
        number: 2,
        bin: "ex2",
        file: "exercises/ex2_tcp_client.rs",
        title: "TCP 客户端：读完整个回复",
        section: "常见实践 / TCP 客户端",
        page: "docs/src/tcp.md",
        solution: "tools/workshop/solutions/ex2_tcp_client.rs",
        untouched: 0x6f9a_fb4b_2f83_2286,
        hints: &[
            "TODO 1 到 3 各对应原文的一行：connect、sendall、recv。前两个在 std 里各是一个方法（TcpStream 上、Write 上）。\
             TODO 3 是这个练习的重点：一次 read 只返回已经到达的字节，回复可能分好几块到达。先想一想：客户端怎样才知道回复读完了？",
            "TODO 1：server_address.resolve()? 给出名字对应的每一个地址（localhost 可能先是 ::1），逐个 TcpStream::connect_timeout(&addr, IO_TIMEOUT)，\
             第一个连上的就返回。TODO 2：write_all 就是 sendall。TODO 3：在循环里一直 read，把每次读到的接到一个 Vec 后面，\
             直到 read 返回 0（服务器关闭了连接）；读满 1024 字节（BUFFER_SIZE）也停下。",
            "Read 上有现成的：let mut data = Vec::new(); server.take(BUFFER_SIZE as u64).read_to_end(&mut data)?; \
             Ok(data)。它一直读到对方关闭连接，最多 1024 字节。chapters/tcp-client/src/main.rs 的 read_reply 就是这样写的。",
        ],
        checks: ex2::CHECKS,
        mistakes: ex2::MISTAKES,
    },
    Exercise {
        number: 3,
        bin: "ex3",
        file: "exercises/ex3_udp_client.rs",
        title: "UDP 客户端：超时和重发",
        section: "常见实践 / UDP 通信示例",
        page: "docs/src/udp.md",
        solution: "tools/workshop/solutions/ex3_udp_client.rs",
        untouched: 0x0bd6_363a_68a2_6c8e,
        hints: &[
            "先让它在不丢包时能用：发一个数据报（send_to），等一个回复（recv_from）。recv_from 还告诉你回复是谁发来的：\
             只有服务器发来的才是回复。然后再想丢包：回复一直不来时，recv_from 要能不再等下去。",
            "client_socket.set_read_timeout(Some(REPLY_TIMEOUT))?; 然后 for attempt in 1..=ATTEMPTS { … }：每一轮 send_to，\
             再 match client_socket.recv_from(&mut data)：Ok((size, from)) 而且 from == server_address，就返回 data[..size].to_vec()；\
             from 是别的地址，就记一行，不算回复；Err(e) if errors::is_timeout(&e) 就用 esay! 打印一行，进入下一轮；别的错误直接返回。",
            "循环结束还没有回复：bail!(\"没有收到 {server_address} 的回复：发送了 {ATTEMPTS} 次……\")。\
             每次重发都用同一个 client_socket，回复是发回这个 Socket 的。chapters/udp-client/src/main.rs 的 ask 是完整的写法\
             （它用 connect 和 send/recv，道理一样：connect 之后，系统只把那个地址发来的数据报交给它）。",
        ],
        checks: ex3::CHECKS,
        mistakes: ex3::MISTAKES,
    },
    Exercise {
        number: 4,
        bin: "ex4",
        file: "exercises/ex4_error_handling.rs",
        title: "错误处理：不会被一个客户端弄倒的服务器",
        section: "最佳实践 / 错误处理",
        page: "docs/src/error-handling.md",
        solution: "tools/workshop/solutions/ex4_error_handling.rs",
        untouched: 0x38b6_ee48_976d_7f6b,
        hints: &[
            "按 TODO 的编号改，检查也按这个顺序。TODO 1：TcpListener::bind(server_address).map_err(|e| errors::bind(&args.addr, &e))?。",
            "TODO 2：把 from_utf8 和下一行换成 say!(\"收到来自 {client_address} 的数据: {}\", show_bytes(&data[..received]))。\
             TODO 3：accept 用 match，出错时 common::accept_failed(&e); continue;；receive_and_reply 用 if let Err(e) = … { esay!(…) }。\
             errors::peer(&e) 要一个 io::Error：把 receive_and_reply 的返回类型改成 io::Result<()>（它里面的错误都是 io::Error 了）。",
            "TODO 4：receive_and_reply 开头写 let deadline = Deadline::after(IO_TIMEOUT);，在 read 和 write_all 之前各写一行 \
             deadline.apply(connection)?;。写完整的样子见 chapters/tcp-server/src/main.rs 的 serve 和 receive_and_reply。",
        ],
        checks: ex4::CHECKS,
        mistakes: ex4::MISTAKES,
    },
    Exercise {
        number: 5,
        bin: "ex5",
        file: "exercises/ex5_thread_pool.rs",
        title: "并发：线程数有上限的服务器",
        section: "最佳实践 / 并发处理",
        page: "docs/src/concurrency.md",
        solution: "tools/workshop/solutions/ex5_thread_pool.rs",
        untouched: 0x808f_bc34_510c_7345,
        hints: &[
            "原文每个连接开一个线程，线程数没有上限。这里要的是：启动时就开好 threads 个线程，之后不再开新的；\
             每个接受的连接通过一个通道交给它们。serve 已经在用 start_pool 返回的发送端了。",
            "let (waiting_room, clients) = mpsc::sync_channel::<Client>(WAITING_ROOM); \
             let clients = Arc::new(Mutex::new(clients)); 然后 for _ in 0..threads { let clients = Arc::clone(&clients); \
             thread::spawn(move || loop { … }); }，最后 Ok(waiting_room)。",
            "线程里：let next = clients.lock().unwrap_or_else(PoisonError::into_inner).recv(); —— 这样写，锁在这一句结束时就放开了；\
             然后 let Ok((connection, client_address)) = next else { return }; handle_connection(connection, client_address);。\
             chapters/threaded-server/src/main.rs 的 pool 和 work 是完整的写法。",
        ],
        checks: ex5::CHECKS,
        mistakes: ex5::MISTAKES,
    },
    Exercise {
        number: 6,
        bin: "ex6",
        file: "exercises/ex6_tls_client.rs",
        title: "安全：会验证证书的 TLS 客户端",
        section: "最佳实践 / 安全考量",
        page: "docs/src/security.md",
        solution: "tools/workshop/solutions/ex6_tls_client.rs",
        untouched: 0xd0ad_0246_d4e7_5a95,
        hints: &[
            "按编号做。TODO 1：let certs = CertificateDer::pem_file_iter(ca_file)?.collect::<Result<Vec<_>, _>>()?;，\
             再 let mut roots = RootCertStore::empty(); 把每张证书 roots.add(cert)? 进去。错误里写上文件名（map_err 加 anyhow!）。",
            "TODO 2：while tls.is_handshaking() { if tls.complete_io(socket)? == (0, 0) { return Err(ErrorKind::UnexpectedEof.into()); } } Ok(())。\
             TODO 3：let mut stream = rustls::Stream::new(tls, socket); stream.write_all(message)?; stream.flush()?;，\
             再 stream.take(BUFFER_SIZE as u64).read_to_end(&mut data)。",
            "TODO 3：原文的 Python 服务器不发 close_notify，read_to_end 会返回 UnexpectedEof，可 data 里已经有回复了：这时返回 Ok(data)。\
             TODO 4：加一个分支 Some(rustls::Error::InvalidCertificate(CertificateError::NotValidForName | \
             CertificateError::NotValidForNameContext { .. })) => format!(\"证书上没有 \\\"{}\\\" 这个名字\", server.host)。\
             chapters/tls-client/src/ 里是完整的写法。",
        ],
        checks: ex6::CHECKS,
        mistakes: ex6::MISTAKES,
    },
    Exercise {
        number: 7,
        bin: "ex7",
        file: "exercises/ex7_framing.rs",
        title: "消息的边界：一行一条消息",
        section: "小结与进阶 / 消息的边界",
        page: "docs/src/next-steps.md",
        solution: "tools/workshop/solutions/ex7_framing.rs",
        untouched: 0xe142_9523_bd75_4dd5,
        hints: &[
            "两条消息一次到达时，一次 read 拿到的是“第一条\\n第二条\\n”：要按换行符切开。BufReader 的 \
             read_until(b'\\n', &mut line) 正好读到换行符为止，多读的字节留在它的缓冲区里，下次再交给你。",
            "let mut line = Vec::new(); let read = reader.read_until(b'\\n', &mut line)?;：read 为 0 就返回 Ok(None)；\
             否则 line.pop() 去掉最后的 '\\n'，返回 Ok(Some(line))。",
            "上限：reader.by_ref().take(MOST_BYTES as u64 + 1).read_until(b'\\n', &mut line)。读完了最后一个字节却不是 '\\n'：\
             读满了（read > MOST_BYTES）就返回 io::Error::new(ErrorKind::InvalidData, \"一行超过 1024 字节\")，\
             否则是连接在一行的中间关闭了，也返回一个错误。书里「小结与进阶」的 receive_line 是同样的写法。",
        ],
        checks: ex7::CHECKS,
        mistakes: ex7::MISTAKES,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The `name = "…"` of every `[[bin]]` in a manifest.
    fn bins(manifest: &str) -> Vec<String> {
        let text = std::fs::read_to_string(crate::programs::workspace_root().join(manifest))
            .unwrap_or_else(|e| panic!("{manifest}: {e}"));
        text.split("[[bin]]")
            .skip(1)
            .filter_map(|bin| {
                let line = bin.lines().find(|l| l.trim_start().starts_with("name"))?;
                Some(line.split('"').nth(1)?.to_string())
            })
            .collect()
    }

    /// Adding an exercise is the registry entry plus a bin in each
    /// manifest and a row in the README: forgetting one fails here.
    #[test]
    fn the_registry_the_manifests_and_the_readme_agree() {
        let learners: Vec<String> = bins("exercises/Cargo.toml");
        let keys: Vec<String> = bins("tools/workshop/Cargo.toml")
            .into_iter()
            .filter(|b| b.starts_with("solution-"))
            .collect();
        let registered: Vec<String> = EXERCISES.iter().map(|e| e.bin.to_string()).collect();
        assert_eq!(learners, registered, "exercises/Cargo.toml's [[bin]]s");
        let expected_keys: Vec<String> =
            registered.iter().map(|b| format!("solution-{b}")).collect();
        assert_eq!(
            keys, expected_keys,
            "tools/workshop/Cargo.toml's solution bins"
        );
        let readme =
            std::fs::read_to_string(crate::programs::workspace_root().join("exercises/README.md"))
                .unwrap_or_default();
        for exercise in EXERCISES {
            let name = exercise.file.trim_start_matches("exercises/");
            assert!(
                readme.contains(&format!("[`{name}`]({name})")),
                "exercises/README.md has no row for {name}"
            );
        }
    }

    #[test]
    fn mistake_ids_are_unique_and_name_their_exercise() {
        let mut ids = std::collections::BTreeSet::new();
        for exercise in EXERCISES {
            for mistake in exercise.mistakes {
                let prefix = format!("{}.", exercise.bin);
                assert!(mistake.id.starts_with(&prefix), "{}", mistake.id);
                let slug = &mistake.id[prefix.len()..];
                assert!(
                    !slug.is_empty()
                        && slug
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                    "{}",
                    mistake.id
                );
                assert!(ids.insert(mistake.id), "{} twice", mistake.id);
                assert!(!mistake.name.is_empty() && !mistake.tip.is_empty());
            }
        }
    }

    #[test]
    fn the_list_is_numbered_in_order_and_names_real_files() {
        let root = crate::programs::workspace_root();
        for (index, exercise) in EXERCISES.iter().enumerate() {
            assert_eq!(exercise.number, index + 1);
            assert_eq!(exercise.bin, format!("ex{}", index + 1));
            for file in [exercise.file, exercise.solution, exercise.page] {
                assert!(root.join(file).is_file(), "{file}");
            }
            assert!(exercise.hints.len() >= 2, "{}", exercise.bin);
            assert!(!exercise.checks.is_empty());
        }
    }
}
