export const USAGE = `Ferry — chat and send files between computers on one LAN.

Usage:
  ferry listen [options]          run a node in the foreground; one JSON object per line on stdout
  ferry send --to HOST[:PORT] [options] [--message TEXT] [FILE_OR_FOLDER…]
                                  connect, send, wait until the peer stored/verified it, exit
  ferry peers [--json]            list the peers this data dir knows (stop \`ferry listen\` first)
  ferry ui [options]              the app's UI in your browser (where the desktop window can't run)
  ferry help                      show this text

Common options:
  --data-dir DIR        identity, history and settings (default: $FERRY_DATA_DIR or
                        the per-user app data folder, "Ferry-cli")
  --name NAME           display name other devices see (saved in the data dir)
  -h, --help            show help

ferry listen:
  --port P              TCP port to listen on (default 47820; 0 picks a free one)
  --host ADDR           interface to listen on (default 0.0.0.0)
  --download-dir DIR    where received files go (saved in the data dir)
  --no-discovery        don't announce or listen on UDP for this run; add peers by address
  --discovery-port P    UDP port for announcements (default 47821)
  --accept              accept incoming files without asking (into --download-dir)
  --accept-from WHO     with --accept: "verified" peers only (default) or "any" peer
  Reads JSON lines on stdin to call the API, e.g.
    {"id":1,"call":"addPeer","args":["192.168.1.20:47820"]}
    {"id":2,"call":"sendMessage","args":["<peer id>","hello"]}
  and answers {"event":"result","id":1,"ok":true,"result":…}. Ctrl-C stops cleanly.

ferry send:
  --to HOST[:PORT]      the peer's address (port defaults to 47820)
  --message TEXT        a chat message to deliver (before any files)
  FILE_OR_FOLDER…       files and folders to offer (folders keep their structure)
  --timeout SECONDS     give up waiting for the message's delivery (default 20) or for
                        the peer to answer the file offer (default: until it expires, 10 min)
  Shows a progress bar on a terminal (plain lines otherwise). Ctrl-C cancels the transfer.
  Exits 0 when the peer stored the message and every file arrived and was verified, 1 otherwise.

ferry ui:
  takes the ferry listen options, plus
  --ui-port P           port of the local web UI (default: a free one)
  --ui-host ADDR        interface for the web UI (default 127.0.0.1; anything else
                        lets other computers use Ferry as you if they get the link)
  --no-open             print the link but don't open a browser
  --json                print {"event":"ui","url":…} instead of text
  The link opens Ferry once. Run \`ferry ui\` again for another tab: a Ferry already
  running on the same data folder opens it and this command exits 0.

Exit codes: 0 success, 1 failure (the reason is printed), 2 bad usage.
`;
