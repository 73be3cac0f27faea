#include "server/peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace tensord::server {
namespace {

constexpr char kProcNetTcp[] = "/proc/net/tcp";
constexpr char kProcNetTcp6[] = "/proc/net/tcp6";
constexpr int kTcpEstablished = 0x01;  // The "st" column.

// How to reach the daemon so that shared memory can be offered.
std::string HowToConnect() {
  return absl::StrCat(
      "connect through tensord's --unix_socket, or to 127.0.0.1, as the daemon's user (uid ",
      geteuid(), ")");
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Exactly the hex digits of `text` (1 to 8 of them) as a number.
std::optional<uint32_t> ParseHex32(absl::string_view text) {
  if (text.empty() || text.size() > 8) return std::nullopt;
  uint32_t value = 0;
  for (char c : text) {
    const int digit = HexDigit(c);
    if (digit < 0) return std::nullopt;
    value = (value << 4) | static_cast<uint32_t>(digit);
  }
  return value;
}

// Undoes URI percent-encoding ("%5B::1%5D:5" is "[::1]:5").
std::optional<std::string> PercentDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = HexDigit(text[i + 1]);
    const int low = HexDigit(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

std::optional<uint16_t> ParsePort(absl::string_view text) {
  uint32_t port = 0;
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      !absl::SimpleAtoi(text, &port) || port > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(port);
}

// ::ffff:a.b.c.d
bool IsIpv4Mapped(const std::array<uint8_t, 16>& address) {
  static constexpr std::array<uint8_t, 12> kPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::equal(kPrefix.begin(), kPrefix.end(), address.begin());
}

void SetIpv4(const in_addr& ip, IpEndpoint& endpoint) {
  endpoint.address = {};
  endpoint.address[10] = 0xff;
  endpoint.address[11] = 0xff;
  std::memcpy(endpoint.address.data() + 12, &ip.s_addr, 4);
}

// A /proc/net/tcp{,6} address column, "0100007F:1F90": the address as 32-bit
// words printed in host byte order (one word for IPv4, four for IPv6), then
// the port as a plain number.
std::optional<IpEndpoint> ParseProcAddress(absl::string_view column) {
  const std::vector<absl::string_view> parts = absl::StrSplit(column, ':');
  if (parts.size() != 2) return std::nullopt;
  const absl::string_view hex = parts[0];
  if (hex.size() != 8 && hex.size() != 32) return std::nullopt;
  IpEndpoint endpoint;
  if (hex.size() == 8) {
    const std::optional<uint32_t> word = ParseHex32(hex);
    if (!word.has_value()) return std::nullopt;
    in_addr ip;
    std::memcpy(&ip.s_addr, &*word, 4);
    SetIpv4(ip, endpoint);
  } else {
    for (size_t i = 0; i < 4; ++i) {
      const std::optional<uint32_t> word = ParseHex32(hex.substr(8 * i, 8));
      if (!word.has_value()) return std::nullopt;
      std::memcpy(endpoint.address.data() + 4 * i, &*word, 4);
    }
  }
  const std::optional<uint32_t> port = ParseHex32(parts[1]);
  if (!port.has_value() || parts[1].size() > 4) return std::nullopt;
  endpoint.port = static_cast<uint16_t>(*port);
  return endpoint;
}

std::string ReadWholeFile(const char* path) {
  std::ifstream in(path);
  if (!in) return "";
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace

bool IpEndpoint::IsLoopback() const {
  if (IsIpv4Mapped(address)) {
    return address[12] == 127;
  }
  static constexpr std::array<uint8_t, 16> kIpv6Loopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                            0, 0, 0, 0, 0, 0, 0, 1};
  return address == kIpv6Loopback;
}

std::string IpEndpoint::ToString() const {
  char text[INET6_ADDRSTRLEN] = "";
  if (IsIpv4Mapped(address)) {
    inet_ntop(AF_INET, address.data() + 12, text, sizeof(text));
    return absl::StrCat(text, ":", port);
  }
  inet_ntop(AF_INET6, address.data(), text, sizeof(text));
  return absl::StrCat("[", text, "]:", port);
}

std::optional<IpEndpoint> ParseGrpcIpPeer(absl::string_view grpc_peer) {
  const bool ipv4 = absl::ConsumePrefix(&grpc_peer, "ipv4:");
  if (!ipv4 && !absl::ConsumePrefix(&grpc_peer, "ipv6:")) return std::nullopt;
  // gRPC percent-encodes the brackets of IPv6 addresses ("%5B::1%5D:5").
  const std::optional<std::string> decoded = PercentDecode(grpc_peer);
  if (!decoded.has_value()) return std::nullopt;
  absl::string_view rest = *decoded;
  const size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos) return std::nullopt;
  absl::string_view host = rest.substr(0, colon);
  const std::optional<uint16_t> port = ParsePort(rest.substr(colon + 1));
  if (!port.has_value()) return std::nullopt;
  IpEndpoint endpoint;
  endpoint.port = *port;
  if (ipv4) {
    in_addr ip;
    if (inet_pton(AF_INET, std::string(host).c_str(), &ip) != 1) return std::nullopt;
    SetIpv4(ip, endpoint);
    return endpoint;
  }
  if (!absl::ConsumePrefix(&host, "[") || !absl::ConsumeSuffix(&host, "]")) return std::nullopt;
  in6_addr ip;
  if (inet_pton(AF_INET6, std::string(host).c_str(), &ip) != 1) return std::nullopt;
  std::memcpy(endpoint.address.data(), ip.s6_addr, 16);
  return endpoint;
}

std::vector<uid_t> FindLoopbackSocketOwners(absl::string_view proc_net_tcp, const IpEndpoint& local,
                                            int remote_port) {
  std::vector<uid_t> owners;
  for (absl::string_view line : absl::StrSplit(proc_net_tcp, '\n')) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
    const std::vector<absl::string_view> columns =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (columns.size() < 8 || !absl::EndsWith(columns[0], ":")) continue;
    const std::optional<IpEndpoint> row_local = ParseProcAddress(columns[1]);
    const std::optional<IpEndpoint> row_remote = ParseProcAddress(columns[2]);
    const std::optional<uint32_t> state = ParseHex32(columns[3]);
    uint32_t uid = 0;
    if (!row_local.has_value() || !row_remote.has_value() || !state.has_value() ||
        !absl::SimpleAtoi(columns[7], &uid)) {
      continue;
    }
    if (*state != kTcpEstablished || !(*row_local == local) || !row_remote->IsLoopback() ||
        row_remote->port != remote_port) {
      continue;
    }
    owners.push_back(static_cast<uid_t>(uid));
  }
  return owners;
}

PeerInfo IdentifyPeerInTables(absl::string_view grpc_peer, int server_port,
                              absl::string_view proc_net_tcp, absl::string_view proc_net_tcp6) {
  PeerInfo info;
  if (absl::StartsWith(grpc_peer, "unix:")) {
    info.same_host = true;
    info.uid = geteuid();
    info.why = absl::StrCat("Unix-domain socket peer ", grpc_peer,
                            ": the owner-only socket file admits only uid ", *info.uid);
    return info;
  }
  if (absl::StartsWith(grpc_peer, "unix-abstract:")) {
    info.same_host = true;
    info.why = absl::StrCat("abstract Unix-domain socket peer ", grpc_peer,
                            ": anyone on this host may connect, so its user is unknown");
    return info;
  }
  const std::optional<IpEndpoint> peer = ParseGrpcIpPeer(grpc_peer);
  if (!peer.has_value()) {
    info.why = absl::StrCat("peer '", grpc_peer, "' is not an address on this host");
    return info;
  }
  if (!peer->IsLoopback()) {
    info.why = absl::StrCat("peer ", peer->ToString(), " is not a loopback address");
    return info;
  }
  info.same_host = true;
  if (server_port <= 0 || server_port > 65535) {
    info.why = absl::StrCat("loopback peer ", peer->ToString(),
                            ": the daemon's TCP port is unknown, so its socket cannot be found");
    return info;
  }
  std::vector<uid_t> owners = FindLoopbackSocketOwners(proc_net_tcp, *peer, server_port);
  const std::vector<uid_t> owners6 = FindLoopbackSocketOwners(proc_net_tcp6, *peer, server_port);
  owners.insert(owners.end(), owners6.begin(), owners6.end());
  if (owners.empty()) {
    info.why = absl::StrCat("loopback peer ", peer->ToString(), ": no connection from it to port ",
                            server_port, " in ", kProcNetTcp, " or ", kProcNetTcp6,
                            " (it may have closed)");
    return info;
  }
  if (!std::all_of(owners.begin(), owners.end(), [&](uid_t uid) { return uid == owners[0]; })) {
    info.why = absl::StrCat("loopback peer ", peer->ToString(),
                            ": sockets of different users connect from it to port ", server_port);
    return info;
  }
  info.uid = owners[0];
  info.why =
      absl::StrCat("loopback peer ", peer->ToString(), ": its socket belongs to uid ", owners[0]);
  return info;
}

PeerInfo IdentifyPeer(absl::string_view grpc_peer, int server_port) {
  const std::optional<IpEndpoint> peer = ParseGrpcIpPeer(grpc_peer);
  if (!peer.has_value() || !peer->IsLoopback()) {
    return IdentifyPeerInTables(grpc_peer, server_port, "", "");
  }
  return IdentifyPeerInTables(grpc_peer, server_port, ReadWholeFile(kProcNetTcp),
                              ReadWholeFile(kProcNetTcp6));
}

absl::Status CheckSharedMemoryPeer(const PeerInfo& peer) {
  if (!peer.same_host) {
    return absl::FailedPreconditionError(
        absl::StrCat("shared-memory tensors need a client on the daemon's host (", peer.why,
                     "): ", HowToConnect()));
  }
  if (!peer.uid.has_value()) {
    return absl::PermissionDeniedError(
        absl::StrCat("shared-memory tensors need to know the client's user, and it is unknown (",
                     peer.why, "): ", HowToConnect()));
  }
  const uid_t euid = geteuid();
  if (*peer.uid != euid) {
    return absl::PermissionDeniedError(
        absl::StrCat("the client runs as uid ", *peer.uid, " and the daemon as uid ", euid,
                     "; shared-memory segments are open to the daemon's user only (", peer.why,
                     "): ", HowToConnect()));
  }
  return absl::OkStatus();
}

absl::Status CheckSharedMemoryPeer(absl::string_view grpc_peer, int server_port) {
  return CheckSharedMemoryPeer(IdentifyPeer(grpc_peer, server_port));
}

}  // namespace tensord::server
