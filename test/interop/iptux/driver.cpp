// A headless iptux peer for Ferry's IP Messenger interop tests.
//
// It links Debian's libiptux-core (the protocol engine the iptux GUI runs on)
// and drives it the way the GUI does, with JSON lines instead of clicks:
// commands on stdin, events on stdout, one JSON object per line, flushed.
// The engine's own log goes to stderr (--log DEBUG hex-dumps every UDP packet).
//
// Build (test/helpers/iptux.ts does this):
//   g++ -std=c++17 -O1 driver.cpp $(pkg-config --cflags --libs iptux-core) -o driver
//
// Run it only inside a network namespace: the engine broadcasts BR_ENTRY at start.
//
// Options: --bind IP (default 0.0.0.0; a socket bound to one address hears no
//          broadcasts), --nick, --group, --home DIR (HOME and XDG dirs for the
//          engine's config/cache files), --recv-dir DIR (default for accept),
//          --encoding CHARSET (preference_encode, e.g. gb18030: a "legacy" peer),
//          --candidates LIST (candidacy_encode), --retry-us N
//          (send_message_retry_in_us), --log WARN|INFO|DEBUG.
//
// Commands: send {ip,text}; sendFiles {ip,paths}; accept {ip|packetNo,dir[,fileIds]};
//           pals; detect {ip}; setPal {ip,encoding?,compatible?}; quit.
//           An "id" on a command is echoed on the events that answer it.
// Events:   ready, pal, message, messageSent, offer, offered, received, accepted,
//           sent, pals, error, stopped. See docs/TESTING.md ("The iptux peer").

#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <json/json.h>

#include <iptux-core/CoreThread.h>
#include <iptux-core/Event.h>
#include <iptux-core/Exception.h>
#include <iptux-core/IptuxConfig.h>
#include <iptux-core/Models.h>
#include <iptux-core/ProgramData.h>
#include <iptux-core/TransFileModel.h>

// ---------------------------------------------------------------------------
// Two pieces of the engine that its installed headers do not declare.
namespace iptux {

// The engine's log switch (iptux-utils/output.h; exported by libiptux-core).
enum class LogLevel { WARN = G_LOG_LEVEL_WARNING, INFO = G_LOG_LEVEL_INFO, DEBUG = G_LOG_LEVEL_DEBUG };
class Log {
 public:
  static void setLogLevel(LogLevel level);
};

// The fix for iptux#656, interposed. In Debian's 0.8.3 build AnalogFS::mkdir
// calls g_mkdir, a macro for mkdir, which inside the class resolves to
// AnalogFS::mkdir itself: receiving a folder into a directory that does not
// exist yet recurses until the stack overflows. RecvFileData calls the method
// through the PLT, so this definition in the executable takes its place (the
// upstream fix of Feb 2025 renamed it makeDir and calls the real mkdir). The
// layout matches internal/AnalogFS.h: the working path is the only member.
class AnalogFS {
 public:
  int mkdir(const char* dir, mode_t mode);

 private:
  char path[1024];  // MAX_PATHLEN
};

int AnalogFS::mkdir(const char* dir, mode_t mode) {
  std::string target;
  if (std::string(dir) == ".") {
    target = path;
  } else if (dir[0] == '/') {
    target = dir;
  } else if (std::string(dir) == "..") {
    target = path;
    auto slash = target.rfind('/');
    if (slash != 0 && slash != std::string::npos) target.resize(slash);
  } else {
    target = path;
    if (target != "/") target += "/";
    target += dir;
  }
  if (::access(target.c_str(), F_OK) == 0) return 0;
  return ::mkdir(target.c_str(), mode);
}

}  // namespace iptux

using namespace iptux;
using std::string;

// ---------------------------------------------------------------------------
// Output: one JSON object per line, whole lines only, from any thread.

static std::mutex outMutex;

static string validUtf8(const string& s) {
  if (g_utf8_validate(s.data(), s.size(), nullptr)) return s;
  gchar* fixed = g_utf8_make_valid(s.data(), s.size());
  string res(fixed);
  g_free(fixed);
  return res;
}

static void emit(Json::Value event) {
  Json::StreamWriterBuilder builder;
  builder["indentation"] = "";
  builder["emitUTF8"] = true;
  string line = Json::writeString(builder, event);
  std::lock_guard<std::mutex> l(outMutex);
  fwrite(line.data(), 1, line.size(), stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

static void emitError(const string& message, const Json::Value& cmd = Json::Value()) {
  Json::Value e;
  e["event"] = "error";
  e["message"] = validUtf8(message);
  if (cmd.isObject()) {
    if (cmd.isMember("cmd")) e["cmd"] = cmd["cmd"];
    if (cmd.isMember("id")) e["id"] = cmd["id"];
  }
  emit(e);
}

// ---------------------------------------------------------------------------

static std::shared_ptr<CoreThread> core;
static std::set<string> localAddresses;

static string ipString(in_addr a) {
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

static bool parseIp(const string& s, in_addr* out) {
  return inet_pton(AF_INET, s.c_str(), out) == 1;
}

static void readLocalAddresses() {
  struct ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return;
  for (auto* i = list; i; i = i->ifa_next) {
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET)
      localAddresses.insert(ipString(((sockaddr_in*)i->ifa_addr)->sin_addr));
  }
  freeifaddrs(list);
}

static Json::Value palJson(const PalInfo& pal) {
  Json::Value p;
  p["ip"] = ipString(pal.ipv4);
  p["nick"] = validUtf8(pal.getName());
  p["group"] = validUtf8(pal.getGroup());
  p["user"] = validUtf8(pal.getUser());
  p["host"] = validUtf8(pal.getHost());
  p["version"] = validUtf8(pal.getVersion());
  p["encoding"] = validUtf8(pal.getEncode());
  p["compatible"] = pal.isCompatible();
  p["online"] = pal.isOnline();
  // The engine hears its own broadcast and lists itself as a pal.
  p["self"] = localAddresses.count(ipString(pal.ipv4)) > 0;
  return p;
}

static void emitPal(const PalInfo& pal, const char* why) {
  Json::Value e = palJson(pal);
  e["event"] = "pal";
  e["why"] = why;
  emit(e);
}

static std::shared_ptr<PalInfo> findPal(const string& ip) {
  in_addr a;
  if (!parseIp(ip, &a)) return {};
  core->Lock();
  auto pal = core->GetPal(PalKey(a));
  core->Unlock();
  return pal;
}

// ---------------------------------------------------------------------------
// Offers received. The engine reports one NEW_SHARE_FILE_FROM_FRIEND event per
// file, all emitted in one burst by the thread that parsed the packet. They are
// gathered per (ip, packetNo) and reported as one "offer" once the burst is
// over (no new file for that packet for kOfferQuietMs).

static const int kOfferQuietMs = 100;

struct Offer {
  string ip;
  uint32_t packetNo = 0;
  std::vector<FileInfo> files;
  std::chrono::steady_clock::time_point lastSeen;
  bool reported = false;
};

static std::mutex offersMutex;
static std::deque<Offer> offers;  // in arrival order; kept for accept

static void noteOfferFile(const FileInfo& f) {
  std::lock_guard<std::mutex> l(offersMutex);
  string ip = f.fileown ? ipString(f.fileown->ipv4) : "";
  for (auto& o : offers) {
    if (o.ip == ip && o.packetNo == f.packetn && !o.reported) {
      o.files.push_back(f);
      o.lastSeen = std::chrono::steady_clock::now();
      return;
    }
  }
  Offer o;
  o.ip = ip;
  o.packetNo = f.packetn;
  o.files.push_back(f);
  o.lastSeen = std::chrono::steady_clock::now();
  offers.push_back(std::move(o));
}

static Json::Value fileJson(const FileInfo& f, bool withPath) {
  Json::Value j;
  j["fileId"] = f.fileid;
  const char* p = f.filepath ? f.filepath : "";
  const char* slash = strrchr(p, '/');
  j["name"] = validUtf8(withPath && slash ? slash + 1 : p);
  if (withPath) j["path"] = validUtf8(p);
  j["size"] = Json::Int64(f.filesize);
  j["dir"] = f.fileattr == FileAttr::DIRECTORY;
  return j;
}

static void flushOffers() {
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::vector<Json::Value> ready;
    {
      std::lock_guard<std::mutex> l(offersMutex);
      auto now = std::chrono::steady_clock::now();
      for (auto& o : offers) {
        if (o.reported || now - o.lastSeen < std::chrono::milliseconds(kOfferQuietMs)) continue;
        o.reported = true;
        Json::Value e;
        e["event"] = "offer";
        e["ip"] = o.ip;
        e["packetNo"] = o.packetNo;
        e["files"] = Json::Value(Json::arrayValue);
        for (auto& f : o.files) e["files"].append(fileJson(f, false));
        ready.push_back(e);
      }
    }
    for (auto& e : ready) emit(e);
  }
}

// ---------------------------------------------------------------------------
// Files we offered, so a finished upload can be named.

struct Offered {
  string ip;
  std::shared_ptr<FileInfo> file;
  int64_t reportedBytes = 0;
};
static std::mutex offeredMutex;
static std::vector<Offered> offered;
static uint32_t nextFileId = 10000;  // MAX_SHAREDFILE: ids below are "shared files"

static string baseName(const string& p) {
  auto s = p.rfind('/');
  return s == string::npos ? p : p.substr(s + 1);
}

static int64_t treeSize(const string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return 0;
  if (S_ISREG(st.st_mode)) return st.st_size;
  if (!S_ISDIR(st.st_mode)) return 0;
  int64_t sum = 0;
  GDir* dir = g_dir_open(path.c_str(), 0, nullptr);
  if (!dir) return 0;
  while (const char* name = g_dir_read_name(dir)) sum += treeSize(path + "/" + name);
  g_dir_close(dir);
  return sum;
}

// The engine's SEND_FILE_FINISHED carries a task id; its TransFileModel has the
// peer's ip and, for a regular file, the file's name (for a folder, the name of
// the last entry sent). Match it back to the offered file.
static void onSendFinished(int taskId) {
  auto model = core->GetTransTaskStat(taskId);
  if (!model) return;
  Json::Value e;
  e["event"] = "sent";
  e["taskId"] = taskId;
  e["ip"] = model->getIp();
  // SendDirFiles never marks failure, so ok is only meaningful for regular files.
  e["ok"] = model->getStatus() == "tip-finish";
  e["path"] = Json::Value();
  e["bytes"] = Json::Int64(model->getFileLength());
  {
    std::lock_guard<std::mutex> l(offeredMutex);
    Offered* match = nullptr;
    for (auto& o : offered) {
      if (o.ip != model->getIp()) continue;
      bool isDir = o.file->fileattr == FileAttr::DIRECTORY;
      if (!isDir && baseName(o.file->filepath) == model->getFilename()) match = &o;
    }
    if (!match) {
      // A folder: the one whose byte count moved, else the only folder offered to that ip.
      std::vector<Offered*> dirs;
      for (auto& o : offered)
        if (o.ip == model->getIp() && o.file->fileattr == FileAttr::DIRECTORY) dirs.push_back(&o);
      for (auto* o : dirs)
        if (o->file->finishedsize != o->reportedBytes) match = o;
      if (!match && dirs.size() == 1) match = dirs[0];
    }
    if (match) {
      e["path"] = validUtf8(match->file->filepath);
      e["name"] = validUtf8(baseName(match->file->filepath));
      e["dir"] = match->file->fileattr == FileAttr::DIRECTORY;
      e["fileId"] = match->file->fileid;
      e["packetNo"] = match->file->packetn;
      e["bytes"] = Json::Int64(match->file->finishedsize);
      match->reportedBytes = match->file->finishedsize;
    } else {
      e["name"] = validUtf8(model->getFilename());
    }
  }
  emit(e);
}

// ---------------------------------------------------------------------------
// Engine events (delivered on the engine's event thread).

static void onEvent(std::shared_ptr<const Event> event) {
  switch (event->getType()) {
    case EventType::NEW_PAL_ONLINE: {
      auto ev = std::dynamic_pointer_cast<const NewPalOnlineEvent>(event);
      emitPal(*ev->getPalInfo(), "online");
      break;
    }
    case EventType::PAL_UPDATE: {
      auto ev = std::dynamic_pointer_cast<const PalUpdateEvent>(event);
      emitPal(*ev->getPalInfo(), "update");
      break;
    }
    case EventType::PAL_OFFLINE: {
      auto ev = std::dynamic_pointer_cast<const PalOfflineEvent>(event);
      auto pal = findPal(ev->GetPalKey().GetIpv4String());
      if (pal) emitPal(*pal, "offline");
      break;
    }
    case EventType::NEW_MESSAGE: {
      auto ev = std::dynamic_pointer_cast<const NewMessageEvent>(event);
      const MsgPara& para = ev->getMsgPara();
      string ip = para.getPal() ? ipString(para.getPal()->ipv4) : "";
      for (const ChipData& chip : para.dtlist) {
        if (para.stype == MessageSourceType::ERROR) {
          // e.g. "Your pal didn't receive the packet." after the last retry
          Json::Value e;
          e["event"] = "error";
          e["source"] = "engine";
          e["ip"] = ip;
          e["message"] = validUtf8(chip.data);
          emit(e);
          continue;
        }
        Json::Value e;
        e["event"] = "message";
        e["ip"] = ip;
        e["kind"] = chip.type == MessageContentType::PICTURE ? "picture" : "text";
        e["text"] = validUtf8(chip.data);
        static const char* groups[] = {"regular", "segment", "group", "broadcast"};
        e["scope"] = groups[int(para.btype) & 3];
        e["self"] = para.stype == MessageSourceType::SELF;
        emit(e);
      }
      break;
    }
    case EventType::NEW_SHARE_FILE_FROM_FRIEND: {
      auto ev = std::dynamic_pointer_cast<const NewShareFileFromFriendEvent>(event);
      noteOfferFile(ev->GetFileInfo());
      break;
    }
    case EventType::SEND_FILE_FINISHED: {
      auto ev = std::dynamic_pointer_cast<const SendFileFinishedEvent>(event);
      onSendFinished(ev->GetTaskId());
      break;
    }
    case EventType::PASSWORD_REQUIRED:
    case EventType::PERMISSION_REQUIRED: {
      Json::Value e;
      e["event"] = event->getType() == EventType::PASSWORD_REQUIRED ? "passwordRequired" : "permissionRequired";
      emit(e);
      break;
    }
    default:
      // RECV_FILE_*: "received" is reported by the accepting thread, which knows
      // the outcome; SEND_FILE_STARTED, ICON_UPDATE, TRANS_TASKS_CHANGED: not needed.
      break;
  }
}

// ---------------------------------------------------------------------------
// Commands.

// Messages go out one at a time on their own thread: the engine's SendMessage
// blocks (it sleeps send_message_retry_in_us after each try, up to 4 tries, until
// RECVMSG clears the pal's rpacketn), and that state is per pal, not per packet.
static std::mutex sendQueueMutex;
static std::condition_variable sendQueueCv;
static std::deque<Json::Value> sendQueue;

static void messageSender() {
  for (;;) {
    Json::Value cmd;
    {
      std::unique_lock<std::mutex> l(sendQueueMutex);
      sendQueueCv.wait(l, [] { return !sendQueue.empty(); });
      cmd = sendQueue.front();
      sendQueue.pop_front();
    }
    string ip = cmd["ip"].asString();
    auto pal = findPal(ip);
    if (!pal) {
      emitError("no pal with ip " + ip + " (wait for its pal event, or detect it first)", cmd);
      continue;
    }
    string text = cmd["text"].asString();
    try {
      core->SendMessage(pal, text);
    } catch (std::exception& ex) {
      emitError(string("SendMessage failed: ") + ex.what(), cmd);
      continue;
    }
    Json::Value e;
    e["event"] = "messageSent";
    e["ip"] = ip;
    e["text"] = text;
    e["acked"] = pal->rpacketn == 0;
    if (cmd.isMember("id")) e["id"] = cmd["id"];
    emit(e);
  }
}

static void cmdSendFiles(const Json::Value& cmd) {
  string ip = cmd["ip"].asString();
  auto pal = findPal(ip);
  if (!pal) return emitError("no pal with ip " + ip, cmd);
  if (!cmd["paths"].isArray() || cmd["paths"].empty()) return emitError("paths must be a non-empty array", cmd);

  std::vector<std::shared_ptr<FileInfo>> files;
  uint32_t filenum = 0;
  for (const auto& p : cmd["paths"]) {
    string path = p.asString();
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    struct stat st;
    if (stat(path.c_str(), &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
      return emitError("not a file or folder: " + path, cmd);
    // As DialogBase::AttachEnclosure does it.
    auto f = std::make_shared<FileInfo>();
    f->fileid = nextFileId++;
    f->fileattr = S_ISREG(st.st_mode) ? FileAttr::REGULAR : FileAttr::DIRECTORY;
    f->filesize = treeSize(path);
    f->filepath = g_strdup(path.c_str());
    f->filectime = uint32_t(st.st_ctime);
    f->filenum = filenum++;
    f->fileown = pal;
    files.push_back(f);
  }
  std::vector<FileInfo*> raw;
  core->Lock();
  for (auto& f : files) {
    core->AddPrivateFile(f);
    raw.push_back(f.get());
  }
  core->Unlock();
  {
    std::lock_guard<std::mutex> l(offeredMutex);
    for (auto& f : files) offered.push_back({ip, f, 0});
  }
  // As DialogPeer::BroadcastEnclosureMsg: one SENDMSG|FILEATTACHOPT for all files.
  core->BcstFileInfoEntry({pal.get()}, raw);

  Json::Value e;
  e["event"] = "offered";
  e["ip"] = ip;
  e["packetNo"] = files[0]->packetn;
  e["files"] = Json::Value(Json::arrayValue);
  for (auto& f : files) e["files"].append(fileJson(*f, true));
  if (cmd.isMember("id")) e["id"] = cmd["id"];
  emit(e);
}

// The engine picks "name (1).ext" when the file exists (assert_filename_inexist).
static string engineTargetPath(const string& path) {
  if (access(path.c_str(), F_OK) != 0) return path;
  string dir = path.substr(0, path.rfind('/'));
  string base = baseName(path);
  auto dot = base.rfind('.');
  for (int i = 1;; i++) {
    string name = dot == string::npos ? base + " (" + std::to_string(i) + ")"
                                      : base.substr(0, dot) + " (" + std::to_string(i) + ")." + base.substr(dot + 1);
    string candidate = dir + "/" + name;
    if (access(candidate.c_str(), F_OK) != 0) return candidate;
  }
}

static std::mutex keepMutex;
static std::vector<std::unique_ptr<FileInfo>> keep;  // RecvFileData holds raw pointers

static void cmdAccept(const Json::Value& cmd) {
  string dir = cmd["dir"].asString();
  if (dir.empty()) dir = core->getProgramData()->path;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();

  // Copies, never assignment: libiptux-core declares FileInfo::operator= but does not export it.
  std::shared_ptr<const Offer> found;
  {
    std::lock_guard<std::mutex> l(offersMutex);
    for (auto& o : offers) {
      if (cmd.isMember("packetNo") && o.packetNo != cmd["packetNo"].asUInt()) continue;
      if (cmd.isMember("ip") && o.ip != cmd["ip"].asString()) continue;
      if (o.reported) found = std::make_shared<const Offer>(o);  // the latest match wins
    }
  }
  if (!found) return emitError("no such offer", cmd);
  const Offer& offer = *found;
  std::set<uint32_t> wanted;
  if (cmd["fileIds"].isArray())
    for (const auto& id : cmd["fileIds"]) wanted.insert(id.asUInt());

  // The destination must exist: the engine creates none of it for a regular
  // file, and (unpatched) crashes creating it for a folder.
  if (g_mkdir_with_parents(dir.c_str(), 0755) != 0) return emitError("cannot create " + dir, cmd);

  std::vector<FileInfo*> todo;
  {
    std::lock_guard<std::mutex> l(keepMutex);
    for (auto& f : offer.files) {
      if (!wanted.empty() && !wanted.count(f.fileid)) continue;
      auto copy = std::make_unique<FileInfo>(f);
      g_free(copy->filepath);
      copy->filepath = g_strdup((dir + "/" + (f.filepath ? f.filepath : "")).c_str());
      todo.push_back(copy.get());
      keep.push_back(std::move(copy));
    }
  }
  std::thread([todo, found, cmd]() {
    const Offer& offer = *found;
    bool allOk = true;
    for (FileInfo* f : todo) {
      string asked = f->filepath;
      string target = f->fileattr == FileAttr::REGULAR ? engineTargetPath(asked) : asked;
      // As DialogPeer::onAcceptButtonClicked, one file at a time (RecvFileAsync
      // is this call on a detached thread).
      core->RecvFile(f);
      // Its outcome: the newest task for this path.
      bool ok = false;
      int taskId = 0;
      for (auto& m : core->listTransTasks()) {
        if (m->getFilePath() == asked && m->getTaskId() > taskId) {
          taskId = m->getTaskId();
          ok = m->getStatus() == "tip-finish";
        }
      }
      Json::Value e;
      e["event"] = "received";
      e["ip"] = offer.ip;
      e["packetNo"] = offer.packetNo;
      e["fileId"] = f->fileid;
      e["name"] = validUtf8(baseName(asked));
      e["path"] = validUtf8(target);
      e["dir"] = f->fileattr == FileAttr::DIRECTORY;
      e["ok"] = ok;
      e["bytes"] = Json::Int64(treeSize(target));
      e["taskId"] = taskId;
      if (cmd.isMember("id")) e["id"] = cmd["id"];
      emit(e);
      allOk = allOk && ok;
    }
    Json::Value e;
    e["event"] = "accepted";
    e["ip"] = offer.ip;
    e["packetNo"] = offer.packetNo;
    e["count"] = Json::UInt(todo.size());
    e["ok"] = allOk;
    if (cmd.isMember("id")) e["id"] = cmd["id"];
    emit(e);
  }).detach();
}

static void cmdPals(const Json::Value& cmd) {
  Json::Value e;
  e["event"] = "pals";
  e["pals"] = Json::Value(Json::arrayValue);
  core->Lock();
  for (auto& pal : core->GetPalList()) e["pals"].append(palJson(*pal));
  core->Unlock();
  if (cmd.isMember("id")) e["id"] = cmd["id"];
  emit(e);
}

// As the GUI's "change pal info" dialog (RevisePal): the user overrides the
// charset the engine uses with this pal, and the engine stops updating it.
static void cmdSetPal(const Json::Value& cmd) {
  auto pal = findPal(cmd["ip"].asString());
  if (!pal) return emitError("no pal with ip " + cmd["ip"].asString(), cmd);
  if (cmd.isMember("encoding")) pal->setEncode(cmd["encoding"].asString());
  if (cmd.isMember("compatible")) pal->setCompatible(cmd["compatible"].asBool());
  pal->setChanged(true);
  Json::Value e = palJson(*pal);
  e["event"] = "pal";
  e["why"] = "set";
  if (cmd.isMember("id")) e["id"] = cmd["id"];
  emit(e);
}

// ---------------------------------------------------------------------------

static string argValue(int argc, char** argv, const string& name, const string& dflt) {
  for (int i = 1; i + 1 < argc; i++)
    if (argv[i] == "--" + name) return argv[i + 1];
  return dflt;
}

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // a peer hanging up mid-transfer must not kill us
  for (int i = 1; i < argc; i++) {
    if (string(argv[i]) == "--help") {
      puts("usage: driver --bind IP --nick NICK --group GROUP --home DIR [--recv-dir DIR]\n"
           "              [--encoding CHARSET] [--candidates LIST] [--retry-us N] [--log WARN|INFO|DEBUG]");
      return 0;
    }
  }
  string home = argValue(argc, argv, "home", "");
  if (home.empty()) {
    fprintf(stderr, "--home DIR is required (the engine writes under $HOME/.config and .cache)\n");
    return 2;
  }
  g_mkdir_with_parents(home.c_str(), 0755);
  // Before any glib call caches them.
  setenv("HOME", home.c_str(), 1);
  setenv("XDG_CONFIG_HOME", (home + "/.config").c_str(), 1);
  setenv("XDG_CACHE_HOME", (home + "/.cache").c_str(), 1);

  string log = argValue(argc, argv, "log", "WARN");
  Log::setLogLevel(log == "DEBUG" ? LogLevel::DEBUG : log == "INFO" ? LogLevel::INFO : LogLevel::WARN);

  string bind = argValue(argc, argv, "bind", "0.0.0.0");
  Json::Value conf;
  conf["nick_name"] = argValue(argc, argv, "nick", "iptux-driver");
  conf["belong_group"] = argValue(argc, argv, "group", "");
  conf["archive_path"] = argValue(argc, argv, "recv-dir", home + "/received");
  conf["preference_encode"] = argValue(argc, argv, "encoding", "utf-8");
  conf["candidacy_encode"] = argValue(argc, argv, "candidates", "gb18030,utf-16");
  conf["bind_ip"] = bind;
  conf["send_message_retry_in_us"] = std::stoi(argValue(argc, argv, "retry-us", "1000000"));
  Json::StreamWriterBuilder wb;
  auto config = IptuxConfig::newFromString(Json::writeString(wb, conf));
  auto data = std::make_shared<ProgramData>(config);

  readLocalAddresses();
  core = std::make_shared<CoreThread>(data);
  core->signalEvent.connect(sigc::ptr_fun(&onEvent));
  try {
    core->start();
  } catch (Exception& ex) {
    emitError(string("engine failed to start: ") + ex.what());
    return 1;
  }
  std::thread(flushOffers).detach();
  std::thread(messageSender).detach();

  {
    Json::Value e;
    e["event"] = "ready";
    e["bind"] = bind;
    e["nick"] = conf["nick_name"];
    e["group"] = conf["belong_group"];
    e["encoding"] = conf["preference_encode"];
    e["user"] = g_get_user_name();
    e["host"] = g_get_host_name();
    e["recvDir"] = conf["archive_path"];
    e["patched"] = Json::Value(Json::arrayValue);
    e["patched"].append("AnalogFS::mkdir (iptux#656)");
    e["pid"] = int(getpid());
    emit(e);
  }

  Json::CharReaderBuilder rb;
  std::unique_ptr<Json::CharReader> reader(rb.newCharReader());
  string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    Json::Value cmd;
    string errs;
    if (!reader->parse(line.data(), line.data() + line.size(), &cmd, &errs) || !cmd.isObject()) {
      emitError("not a JSON object: " + errs);
      continue;
    }
    string name = cmd["cmd"].asString();
    try {
      if (name == "send") {
        std::lock_guard<std::mutex> l(sendQueueMutex);
        sendQueue.push_back(cmd);
        sendQueueCv.notify_one();
      } else if (name == "sendFiles") {
        cmdSendFiles(cmd);
      } else if (name == "accept") {
        cmdAccept(cmd);
      } else if (name == "pals") {
        cmdPals(cmd);
      } else if (name == "detect") {
        core->SendDetectPacket(cmd["ip"].asString());  // unicast BR_ENTRY|DIALUPOPT
      } else if (name == "setPal") {
        cmdSetPal(cmd);
      } else if (name == "quit") {
        break;
      } else {
        emitError("unknown command: " + name, cmd);
      }
    } catch (std::exception& ex) {
      emitError(string(name) + " failed: " + ex.what(), cmd);
    }
  }
  // stop() sends BR_EXIT to every pal and joins the engine's threads.
  core->stop();
  Json::Value e;
  e["event"] = "stopped";
  emit(e);
  // Detached transfer threads may still hold engine objects: skip destructors.
  _exit(0);
}
