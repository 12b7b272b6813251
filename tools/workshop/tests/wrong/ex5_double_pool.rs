//! mistake: ex5.too-many
//! step: 4
//! Starts twice the workers asked for, "a spare set for busy times", all on one queue.

fn start_pool(threads: usize) -> Result<SyncSender<Client>> {
    let (waiting_room, clients) = mpsc::sync_channel::<Client>(WAITING_ROOM);
    let clients = Arc::new(Mutex::new(clients));
    for number in 0..threads {
        let clients = Arc::clone(&clients);
        thread::Builder::new()
            .name(format!("worker-{number}"))
            .spawn(move || work(&clients))
            .with_context(|| format!("无法创建第 {} 个工作线程", number + 1))?;
    }
    // "Double the workers when busy": a second set, sharing the same queue.
    for number in 0..threads {
        let clients = Arc::clone(&clients);
        thread::spawn(move || work(&clients));
        let _ = number;
    }
    Ok(waiting_room)
}
