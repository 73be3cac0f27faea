// Whether a gRPC peer runs on the daemon's host and as which user, so that
// shared-memory tensors are offered only to clients that can map them: a
// Unix-domain socket peer (the socket file is owner-only), or a loopback TCP
// peer whose socket owner is read from /proc/net/tcp{,6} the way identd does.
#ifndef TENSORD_SERVER_PEER_H_
#define TENSORD_SERVER_PEER_H_

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tensord::server {

struct PeerInfo {
  // The peer runs on this host (in this network namespace).
  bool same_host = false;
  // The effective uid the peer's connection belongs to, when known.
  std::optional<uid_t> uid;
  // How that was decided, or why it could not be; for error messages.
  std::string why;
};

// An IP address and port. IPv4 addresses are held in their IPv4-mapped IPv6
// form (::ffff:a.b.c.d), so that "ipv4:127.0.0.1:5", "ipv6:[::ffff:127.0.0.1]:5"
// and the rows of /proc/net/tcp and /proc/net/tcp6 compare equal.
struct IpEndpoint {
  std::array<uint8_t, 16> address{};
  uint16_t port = 0;

  // 127.0.0.0/8 (plain or IPv4-mapped) or ::1.
  bool IsLoopback() const;
  // "127.0.0.1:5" or "[::1]:5".
  std::string ToString() const;
  friend bool operator==(const IpEndpoint&, const IpEndpoint&) = default;
};

// The endpoint of a gRPC peer string, "ipv4:127.0.0.1:54321" or
// "ipv6:[::1]:54321"; nullopt for any other form (unix:, malformed, scoped
// IPv6 addresses).
std::optional<IpEndpoint> ParseGrpcIpPeer(absl::string_view grpc_peer);

// From the contents of /proc/net/tcp or /proc/net/tcp6 (the row format is
// told apart by the address width): the "uid" column of every ESTABLISHED
// socket whose local address is `local` and whose remote address is a
// loopback address with port `remote_port`, in table order. Header and
// malformed rows are skipped.
std::vector<uid_t> FindLoopbackSocketOwners(absl::string_view proc_net_tcp, const IpEndpoint& local,
                                            int remote_port);

// grpc_peer is grpc::ServerContext::peer(): "ipv4:127.0.0.1:54321",
// "ipv6:[::1]:54321", "ipv6:[::ffff:127.0.0.1]:54321", "unix:" or
// "unix:/path", or a remote address. server_port is the daemon's TCP port.
//   - unix: peers are on this host; the socket file's 0600 mode admits only
//     the daemon's user, so uid is geteuid(). (unix-abstract: peers are on
//     this host but anyone may connect, so their uid is unknown.)
//   - Loopback TCP peers are on this host; uid is the owner of the peer's
//     socket: the row of /proc/net/tcp or /proc/net/tcp6 whose local address
//     is the peer's ip:port and whose remote address is loopback with port
//     server_port. Unknown when no row, or rows with different owners, match.
//   - Any other address, including a non-loopback address of this host, is
//     treated as another host.
PeerInfo IdentifyPeer(absl::string_view grpc_peer, int server_port);

// IdentifyPeer with the tables' contents given (tests craft them).
PeerInfo IdentifyPeerInTables(absl::string_view grpc_peer, int server_port,
                              absl::string_view proc_net_tcp, absl::string_view proc_net_tcp6);

// Whether shared memory may be offered to the peer: OK only when it is on
// this host and its uid is the daemon's effective uid. A different uid is
// refused even when it is root: segments are mode 0600 and the client's side
// accepts only segments owned by its own euid, so no other uid could map
// them. Errors: FailedPrecondition for a peer on another host,
// PermissionDenied for another or an unknown uid; the message says how to
// connect instead.
absl::Status CheckSharedMemoryPeer(absl::string_view grpc_peer, int server_port);

// CheckSharedMemoryPeer on an identified peer.
absl::Status CheckSharedMemoryPeer(const PeerInfo& peer);

}  // namespace tensord::server

#endif  // TENSORD_SERVER_PEER_H_
