//! mistake: ex2.no-connect
//! step: 1
//! Returns before doing anything.

fn talk(args: &Args) -> Result<()> {
    let message = args.message(TCP_MESSAGE)?;
    Ok(())
}
