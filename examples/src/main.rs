//! `example-app`: one example downstream app on one address.
//!
//! ```text
//! example-app --name perizinan --title "Perizinan Berusaha" --listen 127.0.0.1:9101
//! ```

use clap::Parser;

#[derive(Parser)]
#[command(
    version,
    about = "An example app behind Gerbang: shows the identity the gateway forwards"
)]
struct Args {
    /// The app's name (the route name in Gerbang's configuration).
    #[arg(long, default_value = "perizinan")]
    name: String,
    /// The title shown on its page.
    #[arg(long, default_value = "Perizinan Berusaha")]
    title: String,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:9101")]
    listen: std::net::SocketAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().init();
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    tracing::info!(name = %args.name, address = %args.listen, "example app listening");
    axum::serve(listener, gerbang_examples::app(&args.name, &args.title)).await?;
    Ok(())
}
