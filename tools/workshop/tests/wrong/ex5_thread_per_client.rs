//! mistake: ex5.too-many
//! step: 4
//! The article's way behind the channel: a new thread for every client.

fn start_pool(threads: usize) -> Result<SyncSender<Client>> {
    let (waiting_room, clients) = mpsc::sync_channel::<Client>(WAITING_ROOM);
    thread::spawn(move || {
        for (connection, client_address) in clients {
            thread::spawn(move || handle_connection(connection, client_address));
        }
    });
    Ok(waiting_room)
}
