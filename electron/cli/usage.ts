/** The help texts: one per command (`ferry <command> --help`), and all of them for `ferry --help`. */

const COMMON = `Common options:
  --data-dir DIR        identity, history and settings (default: $FERRY_DATA_DIR or
                        the desktop app's, <app data>/Ferry/engine)
  --name NAME           display name other devices see (saved in the data dir)
  -h, --help            show this help (starts nothing)
`;

const NODE_OPTIONS = `  --port P              TCP port to listen on (default 47820; 0 picks a free one)
  --host ADDR           interface to listen on (default 0.0.0.0)
  --download-dir DIR    where received files go (saved in the data dir)
  --no-discovery        don't announce or listen on UDP for this run; add peers by address
  --discovery-port P    UDP port for announcements (default 47821)
  --no-ipmsg            don't talk to FeiQ / IP Messenger / iptux users (UDP port 2425)
                        for this run; --no-discovery already silences their broadcasts
`;

export const LISTEN_USAGE = `Usage: ferry listen [options]

Runs a node in the foreground until Ctrl-C.
On a terminal it prints readable lines and asks about each incoming file offer:
  [y] accept   [n] decline   [a] accept this and every later offer from that peer (this run)
When stdout or stdin is not a terminal, or with --json, it prints one JSON object per
line and reads API calls as JSON lines on stdin, e.g.
  {"id":1,"call":"addPeer","args":["192.168.1.20:47820"]}
  {"id":2,"call":"sendMessage","args":["direct:<peer id>","hello"]}
answered by {"event":"result","id":1,"ok":true,"result":…}. (On a terminal, a line
starting with "{" is such a call too.)

Options:
${NODE_OPTIONS}  --accept              accept incoming files without asking (into --download-dir)
  --accept-from WHO     with --accept: "verified" peers only (default) or "any" peer
  --json                JSON lines even on a terminal
${COMMON}`;

export const SEND_USAGE = `Usage: ferry send --to HOST[:PORT] [options] [--message TEXT] [FILE_OR_FOLDER…]

Connects, sends, waits until the peer stored the message and verified every file, exits.
Files are checked before connecting. Running the same command again after an
interruption (crash, Ctrl-C, lost network) resumes the unfinished transfer of those
files instead of sending them twice.

Options:
  --to HOST[:PORT]      the peer's address (port defaults to 47820)
  -m, --message TEXT    a chat message to deliver (before any files)
  FILE_OR_FOLDER…       files and folders to offer (folders keep their structure)
  --timeout SECONDS     give up connecting, waiting for the message's delivery (default 20)
                        or for the peer to answer the file offer (default: until it
                        expires, 10 min) after this many seconds
  --new                 start a new transfer even if an unfinished one of the same files exists
  --json                one JSON object per line (with error codes) instead of text
${COMMON}
Shows a progress bar on a terminal (plain lines otherwise). Ctrl-C cancels the transfer.
Exits 0 when the peer stored the message and every file arrived and was verified,
1 otherwise, 130 when cancelled with Ctrl-C.
`;

export const PEERS_USAGE = `Usage: ferry peers [--data-dir DIR] [--json]

Lists the peers this data dir knows (stop \`ferry listen\` on that data dir first).

Options:
  --json                the full records as JSON
  --data-dir DIR        as for the other commands
  -h, --help            show this help
`;

export const HISTORY_USAGE = `Usage: ferry history [--data-dir DIR] [--conversation ID] [--json]

Prints the conversations this data dir holds, with their messages and file activity
(stop \`ferry listen\` and the app on that data dir first). Opening a data dir written by
an older Ferry upgrades it, as the app would (a backup is kept beside it).

Options:
  --conversation ID     one conversation in full: its id from the list, the peer's id,
                        or the start of it (at least 4 characters)
  --json                everything as JSON: every conversation with all its messages and
                        file offers (or only the one given with --conversation)
  --data-dir DIR        as for the other commands
  -h, --help            show this help
`;

export const UI_USAGE = `Usage: ferry ui [options]

The app's UI in your browser (where the desktop window can't run).

Options:
${NODE_OPTIONS}  --ui-port P           port of the local web UI (default: a free one)
  --ui-host ADDR        interface for the web UI (default 127.0.0.1; anything else
                        lets other computers use Ferry as you if they get the link)
  --no-open             print the link but don't open a browser
  --renderer-dir DIR    serve the UI from this folder (default: the built one, out/renderer;
                        built once if missing)
  --json                print {"event":"ui","url":…} instead of text
${COMMON}
The link opens Ferry once. Run \`ferry ui\` again for another tab: a Ferry already
running on the same data folder opens it and this command exits 0.
`;

export const USAGE = `Ferry — chat and send files between computers on one LAN.

Usage:
  ferry listen [options]          run a node in the foreground (readable on a terminal,
                                  JSON lines otherwise)
  ferry send --to HOST[:PORT] [options] [--message TEXT] [FILE_OR_FOLDER…]
                                  connect, send, wait until the peer stored/verified it, exit
  ferry peers [--json]            list the peers this data dir knows (stop \`ferry listen\` first)
  ferry history [--json]          conversations with their messages and files (export)
  ferry ui [options]              the app's UI in your browser (where the desktop window can't run)
  ferry <command> --help          that command's options (starts nothing)
  ferry --version                 print the version

Exit codes: 0 success, 1 failure (the reason is printed), 2 bad usage, 130 cancelled.

${LISTEN_USAGE}
${SEND_USAGE}
${PEERS_USAGE}
${HISTORY_USAGE}
${UI_USAGE}`;
