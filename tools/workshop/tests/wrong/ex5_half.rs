//! mistake: ex5.too-few | ex5.one-at-a-time
//! step: 4 | 3
//! Half the workers ("the other half is the waiting room"): for --threads 2 or 3, one at a time.

fn start_pool(threads: usize) -> Result<SyncSender<Client>> {
    let (waiting_room, clients) = mpsc::sync_channel::<Client>(WAITING_ROOM);
    let clients = Arc::new(Mutex::new(clients));
    for number in 0..(threads / 2).max(1) {
        let clients = Arc::clone(&clients);
        thread::Builder::new()
            .name(format!("worker-{number}"))
            .spawn(move || work(&clients))
            .with_context(|| format!("无法创建第 {} 个工作线程", number + 1))?;
    }
    Ok(waiting_room)
}
