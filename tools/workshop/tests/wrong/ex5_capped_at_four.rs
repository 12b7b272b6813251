//! mistake: ex5.too-few
//! step: 4
//! Caps the pool at four workers ("one per core"): too few for --threads 5 or 6.

fn start_pool(threads: usize) -> Result<SyncSender<Client>> {
    let (waiting_room, clients) = mpsc::sync_channel::<Client>(WAITING_ROOM);
    let clients = Arc::new(Mutex::new(clients));
    for number in 0..threads.min(4) {
        let clients = Arc::clone(&clients);
        thread::Builder::new()
            .name(format!("worker-{number}"))
            .spawn(move || work(&clients))
            .with_context(|| format!("无法创建第 {} 个工作线程", number + 1))?;
    }
    Ok(waiting_room)
}
