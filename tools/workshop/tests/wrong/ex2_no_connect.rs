//! mistake: ex2.no-connect
//! step: 1
//! Prints the reply the article's server would send, without connecting.

fn talk(args: &Args) -> Result<()> {
    say!("收到服务器的响应: 数据已收到");
    Ok(())
}
