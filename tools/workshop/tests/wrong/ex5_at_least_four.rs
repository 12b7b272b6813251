//! mistake: ex5.too-many
//! step: 4
//! At least four workers ("never fewer than the default"): too many for --threads 2 or 3.

fn start_pool(threads: usize) -> Result<SyncSender<Client>> {
    let (waiting_room, clients) = mpsc::sync_channel::<Client>(WAITING_ROOM);
    let clients = Arc::new(Mutex::new(clients));
    for number in 0..threads.max(4) {
        let clients = Arc::clone(&clients);
        thread::Builder::new()
            .name(format!("worker-{number}"))
            .spawn(move || work(&clients))
            .with_context(|| format!("无法创建第 {} 个工作线程", number + 1))?;
    }
    Ok(waiting_room)
}
