#include "server/peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace tensord::server {
namespace {

constexpr char kTcpHeader[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode\n";
constexpr char kTcp6Header[] =
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

// One /proc/net/tcp{,6} row in the kernel's layout.
std::string Row(int slot, absl::string_view local, absl::string_view remote,
                absl::string_view state, int uid) {
  return absl::StrCat("  ", slot, ": ", local, " ", remote, " ", state,
                      " 00000000:00000000 00:00000000 00000000  ", uid,
                      "        0 123456 1 0000000000000000 20 4 30 10 -1\n");
}

// The crafted rows spell addresses as a little-endian host prints them.
bool LittleEndian() { return std::endian::native == std::endian::little; }

IpEndpoint Endpoint(absl::string_view grpc_peer) {
  std::optional<IpEndpoint> endpoint = ParseGrpcIpPeer(grpc_peer);
  EXPECT_TRUE(endpoint.has_value()) << grpc_peer;
  return endpoint.value_or(IpEndpoint{});
}

TEST(ParseGrpcIpPeerTest, ReadsIpv4AndIpv6Forms) {
  std::optional<IpEndpoint> v4 = ParseGrpcIpPeer("ipv4:127.0.0.1:54321");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->port, 54321);
  EXPECT_EQ(v4->ToString(), "127.0.0.1:54321");

  std::optional<IpEndpoint> v6 = ParseGrpcIpPeer("ipv6:[::1]:8080");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->port, 8080);
  EXPECT_EQ(v6->ToString(), "[::1]:8080");

  // gRPC percent-encodes the brackets.
  EXPECT_EQ(ParseGrpcIpPeer("ipv6:%5B::1%5D:8080"), v6);
  // IPv4-mapped IPv6 equals plain IPv4.
  EXPECT_EQ(ParseGrpcIpPeer("ipv6:[::ffff:127.0.0.1]:54321"), v4);
  EXPECT_EQ(ParseGrpcIpPeer("ipv6:%5B::ffff:127.0.0.1%5D:54321"), v4);
}

TEST(ParseGrpcIpPeerTest, RefusesOtherForms) {
  for (absl::string_view peer :
       {"", "unix:", "unix:/tmp/tensord.sock", "dns:localhost:5", "ipv4:127.0.0.1",
        "ipv4:127.0.0.1:", "ipv4:127.0.0.1:65536", "ipv4:127.0.0.1:-1", "ipv4:127.0.0.1:+5",
        "ipv4:1.2.3:5", "ipv4:localhost:5", "ipv6:::1:5", "ipv6:[::1]", "ipv6:[::1]:x",
        "ipv6:%5B::1:5", "ipv6:%5Bfe80::1%25eth0%5D:5", "ipv6:%zz::1]:5", "ipv6:%5"}) {
    EXPECT_FALSE(ParseGrpcIpPeer(peer).has_value()) << peer;
  }
}

TEST(IpEndpointTest, Loopback) {
  EXPECT_TRUE(Endpoint("ipv4:127.0.0.1:1").IsLoopback());
  EXPECT_TRUE(Endpoint("ipv4:127.5.6.7:1").IsLoopback());
  EXPECT_TRUE(Endpoint("ipv6:[::1]:1").IsLoopback());
  EXPECT_TRUE(Endpoint("ipv6:[::ffff:127.0.0.2]:1").IsLoopback());
  EXPECT_FALSE(Endpoint("ipv4:10.1.2.3:1").IsLoopback());
  EXPECT_FALSE(Endpoint("ipv4:128.0.0.1:1").IsLoopback());
  EXPECT_FALSE(Endpoint("ipv6:[::2]:1").IsLoopback());
  EXPECT_FALSE(Endpoint("ipv6:[::]:1").IsLoopback());
  EXPECT_FALSE(Endpoint("ipv6:[2001:db8::1]:1").IsLoopback());
  EXPECT_FALSE(Endpoint("ipv6:[::ffff:10.0.0.1]:1").IsLoopback());
}

TEST(FindLoopbackSocketOwnersTest, MatchesTheClientRowOfAnIpv4Table) {
  if (!LittleEndian()) GTEST_SKIP() << "rows are spelled for a little-endian host";
  // 127.0.0.1:54321 (D431) connected to port 8080 (1F90).
  const std::string table = absl::StrCat(kTcpHeader,
                                         // The daemon listening, and its side of the connection.
                                         Row(0, "00000000:1F90", "00000000:0000", "0A", 1000),
                                         Row(1, "0100007F:1F90", "0100007F:D431", "01", 1000),
                                         // The client's side: the row to find.
                                         Row(2, "0100007F:D431", "0100007F:1F90", "01", 1234),
                                         // Same local address to another port, to a non-loopback
                                         // address, and a closed connection waiting out TIME_WAIT.
                                         Row(3, "0100007F:D431", "0100007F:1F91", "01", 2000),
                                         Row(4, "0100007F:D431", "0100000A:1F90", "01", 3000),
                                         Row(5, "0100007F:D431", "0100007F:1F90", "06", 0),
                                         // Malformed rows.
                                         "  6: 0100007F:D431 0100007F:1F90 01\n",
                                         "  7: 0100007F 0100007F:1F90 01 x x x 55\n", "garbage\n");
  EXPECT_EQ(FindLoopbackSocketOwners(table, Endpoint("ipv4:127.0.0.1:54321"), 8080),
            std::vector<uid_t>{1234});
  // Another loopback address of 127/8 as the daemon's side matches too.
  const std::string other_remote =
      absl::StrCat(kTcpHeader, Row(0, "0100007F:D431", "0200007F:1F90", "01", 77));
  EXPECT_EQ(FindLoopbackSocketOwners(other_remote, Endpoint("ipv4:127.0.0.1:54321"), 8080),
            std::vector<uid_t>{77});
  EXPECT_TRUE(FindLoopbackSocketOwners(table, Endpoint("ipv4:127.0.0.2:54321"), 8080).empty());
  EXPECT_TRUE(FindLoopbackSocketOwners(table, Endpoint("ipv4:127.0.0.1:54322"), 8080).empty());
  EXPECT_TRUE(FindLoopbackSocketOwners("", Endpoint("ipv4:127.0.0.1:54321"), 8080).empty());
}

TEST(FindLoopbackSocketOwnersTest, MatchesIpv6AndIpv4MappedRows) {
  if (!LittleEndian()) GTEST_SKIP() << "rows are spelled for a little-endian host";
  constexpr char kLoopback6[] = "00000000000000000000000001000000";  // ::1
  constexpr char kMapped[] = "0000000000000000FFFF00000100007F";     // ::ffff:127.0.0.1
  constexpr char kOther6[] = "B80D0120000000000000000001000000";     // 2001:db8::1
  const std::string table = absl::StrCat(
      kTcp6Header,
      Row(0, absl::StrCat(kLoopback6, ":D431"), absl::StrCat(kLoopback6, ":1F90"), "01", 1001),
      Row(1, absl::StrCat(kMapped, ":C000"), absl::StrCat(kMapped, ":1F90"), "01", 1002),
      Row(2, absl::StrCat(kOther6, ":D431"), absl::StrCat(kLoopback6, ":1F90"), "01", 1003),
      Row(3, absl::StrCat(kLoopback6, ":0BB8"), absl::StrCat(kOther6, ":1F90"), "01", 1004));
  EXPECT_EQ(FindLoopbackSocketOwners(table, Endpoint("ipv6:[::1]:54321"), 8080),
            std::vector<uid_t>{1001});
  // A v6 client socket on ::ffff:127.0.0.1 is the gRPC peer 127.0.0.1.
  EXPECT_EQ(FindLoopbackSocketOwners(table, Endpoint("ipv4:127.0.0.1:49152"), 8080),
            std::vector<uid_t>{1002});
  EXPECT_EQ(FindLoopbackSocketOwners(table, Endpoint("ipv6:[::ffff:127.0.0.1]:49152"), 8080),
            std::vector<uid_t>{1002});
  // A non-loopback remote address does not count.
  EXPECT_TRUE(FindLoopbackSocketOwners(table, Endpoint("ipv6:[::1]:3000"), 8080).empty());
}

TEST(IdentifyPeerInTablesTest, LoopbackPeersAreFoundInEitherTable) {
  if (!LittleEndian()) GTEST_SKIP() << "rows are spelled for a little-endian host";
  const std::string tcp =
      absl::StrCat(kTcpHeader, Row(0, "0100007F:D431", "0100007F:1F90", "01", 1234));
  const std::string tcp6 =
      absl::StrCat(kTcp6Header, Row(0, "00000000000000000000000001000000:D432",
                                    "00000000000000000000000001000000:1F90", "01", 4321));

  PeerInfo v4 = IdentifyPeerInTables("ipv4:127.0.0.1:54321", 8080, tcp, tcp6);
  EXPECT_TRUE(v4.same_host);
  EXPECT_EQ(v4.uid, 1234u) << v4.why;
  PeerInfo mapped = IdentifyPeerInTables("ipv6:%5B::ffff:127.0.0.1%5D:54321", 8080, tcp, tcp6);
  EXPECT_EQ(mapped.uid, 1234u) << mapped.why;
  PeerInfo v6 = IdentifyPeerInTables("ipv6:%5B::1%5D:54322", 8080, tcp, tcp6);
  EXPECT_TRUE(v6.same_host);
  EXPECT_EQ(v6.uid, 4321u) << v6.why;

  // Loopback but no such connection: on this host, user unknown.
  PeerInfo missing = IdentifyPeerInTables("ipv4:127.0.0.1:54399", 8080, tcp, tcp6);
  EXPECT_TRUE(missing.same_host);
  EXPECT_FALSE(missing.uid.has_value());
  EXPECT_NE(missing.why.find("no connection"), std::string::npos) << missing.why;
  // The wrong daemon port finds nothing either.
  EXPECT_FALSE(IdentifyPeerInTables("ipv4:127.0.0.1:54321", 8081, tcp, tcp6).uid.has_value());
  EXPECT_FALSE(IdentifyPeerInTables("ipv4:127.0.0.1:54321", 0, tcp, tcp6).uid.has_value());
}

TEST(IdentifyPeerInTablesTest, DisagreeingOwnersLeaveTheUserUnknown) {
  if (!LittleEndian()) GTEST_SKIP() << "rows are spelled for a little-endian host";
  // One local port connected to port 8080 on two loopback addresses, by two users.
  const std::string tcp =
      absl::StrCat(kTcpHeader, Row(0, "0100007F:D431", "0100007F:1F90", "01", 1000),
                   Row(1, "0100007F:D431", "0200007F:1F90", "01", 2000));
  PeerInfo info = IdentifyPeerInTables("ipv4:127.0.0.1:54321", 8080, tcp, "");
  EXPECT_TRUE(info.same_host);
  EXPECT_FALSE(info.uid.has_value());
  // Agreeing owners are fine.
  const std::string agreeing =
      absl::StrCat(kTcpHeader, Row(0, "0100007F:D431", "0100007F:1F90", "01", 1000),
                   Row(1, "0100007F:D431", "0200007F:1F90", "01", 1000));
  EXPECT_EQ(IdentifyPeerInTables("ipv4:127.0.0.1:54321", 8080, agreeing, "").uid, 1000u);
}

TEST(IdentifyPeerTest, UnixPeersAreTheDaemonsUser) {
  for (absl::string_view peer : {"unix:", "unix:/run/user/1000/tensord.sock"}) {
    PeerInfo info = IdentifyPeer(peer, 8080);
    EXPECT_TRUE(info.same_host) << peer;
    EXPECT_EQ(info.uid, geteuid()) << peer;
    EXPECT_TRUE(CheckSharedMemoryPeer(peer, 8080).ok()) << peer;
  }
  PeerInfo abstract = IdentifyPeer("unix-abstract:tensord", 8080);
  EXPECT_TRUE(abstract.same_host);
  EXPECT_FALSE(abstract.uid.has_value());
}

TEST(IdentifyPeerTest, OtherAddressesAreOtherHosts) {
  for (absl::string_view peer :
       {"ipv4:10.1.2.3:5000", "ipv6:[2001:db8::1]:5", "ipv6:%5B2001:db8::1%5D:5",
        "ipv6:[::ffff:10.0.0.1]:5", "ipv4:0.0.0.0:5", "dns:localhost:5", "", "garbage"}) {
    PeerInfo info = IdentifyPeer(peer, 8080);
    EXPECT_FALSE(info.same_host) << peer;
    EXPECT_FALSE(info.uid.has_value()) << peer;
    EXPECT_FALSE(info.why.empty()) << peer;
    absl::Status status = CheckSharedMemoryPeer(peer, 8080);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << peer << ": " << status;
    EXPECT_NE(status.message().find("--unix_socket"), absl::string_view::npos) << status;
  }
}

TEST(CheckSharedMemoryPeerTest, RequiresTheSameHostAndUser) {
  const uid_t euid = geteuid();
  EXPECT_TRUE(CheckSharedMemoryPeer(PeerInfo{true, euid, "test"}).ok());
  EXPECT_EQ(CheckSharedMemoryPeer(PeerInfo{false, std::nullopt, "remote"}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckSharedMemoryPeer(PeerInfo{false, euid, "remote"}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckSharedMemoryPeer(PeerInfo{true, std::nullopt, "unknown"}).code(),
            absl::StatusCode::kPermissionDenied);
  absl::Status other = CheckSharedMemoryPeer(PeerInfo{true, euid + 1, "other"});
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(other.message().find(absl::StrCat("uid ", euid + 1)), absl::string_view::npos) << other;
  if (euid != 0) {
    EXPECT_EQ(CheckSharedMemoryPeer(PeerInfo{true, 0, "root"}).code(),
              absl::StatusCode::kPermissionDenied);
  }
}

// A socket closed when it goes out of scope.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

int LocalPort(int fd) {
  sockaddr_storage address;
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return -1;
  if (address.ss_family == AF_INET)
    return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
}

// Listens on `address` (port 0: any); false when the family or address is
// unavailable here.
bool Listen(const Socket& listener, const sockaddr* address, socklen_t length) {
  return listener.fd() >= 0 && bind(listener.fd(), address, length) == 0 &&
         listen(listener.fd(), 4) == 0;
}

sockaddr_in Ipv4(const char* ip, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip, &address.sin_addr);
  return address;
}

sockaddr_in6 Ipv6(const char* ip, int port) {
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET6, ip, &address.sin6_addr);
  return address;
}

TEST(IdentifyPeerLiveTest, Ipv4LoopbackConnectionBelongsToThisUser) {
  Socket listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in any_port = Ipv4("127.0.0.1", 0);
  ASSERT_TRUE(Listen(listener, reinterpret_cast<sockaddr*>(&any_port), sizeof(any_port)))
      << std::strerror(errno);
  const int server_port = LocalPort(listener.fd());
  Socket client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in server = Ipv4("127.0.0.1", server_port);
  ASSERT_EQ(connect(client.fd(), reinterpret_cast<sockaddr*>(&server), sizeof(server)), 0)
      << std::strerror(errno);
  Socket accepted(accept(listener.fd(), nullptr, nullptr));
  ASSERT_GE(accepted.fd(), 0);
  const int client_port = LocalPort(client.fd());

  const std::string peer = absl::StrCat("ipv4:127.0.0.1:", client_port);
  PeerInfo info = IdentifyPeer(peer, server_port);
  EXPECT_TRUE(info.same_host) << info.why;
  EXPECT_EQ(info.uid, geteuid()) << info.why;
  EXPECT_TRUE(CheckSharedMemoryPeer(peer, server_port).ok());
  // The mapped spelling names the same socket.
  EXPECT_EQ(
      IdentifyPeer(absl::StrCat("ipv6:%5B::ffff:127.0.0.1%5D:", client_port), server_port).uid,
      geteuid());
  // Another daemon port: no such connection.
  PeerInfo wrong_port = IdentifyPeer(peer, server_port == 65535 ? 1 : server_port + 1);
  EXPECT_TRUE(wrong_port.same_host);
  EXPECT_FALSE(wrong_port.uid.has_value()) << wrong_port.why;
  EXPECT_EQ(CheckSharedMemoryPeer(peer, server_port == 65535 ? 1 : server_port + 1).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(IdentifyPeerLiveTest, ConnectionOfAnotherUserIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to open a socket as another user";
  constexpr uid_t kNobody = 65534;
  Socket listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in any_port = Ipv4("127.0.0.1", 0);
  ASSERT_TRUE(Listen(listener, reinterpret_cast<sockaddr*>(&any_port), sizeof(any_port)))
      << std::strerror(errno);
  const int server_port = LocalPort(listener.fd());
  // A socket belongs to the effective uid that created it.
  ASSERT_EQ(seteuid(kNobody), 0) << std::strerror(errno);
  Socket client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(seteuid(0), 0) << std::strerror(errno);
  sockaddr_in server = Ipv4("127.0.0.1", server_port);
  ASSERT_EQ(connect(client.fd(), reinterpret_cast<sockaddr*>(&server), sizeof(server)), 0)
      << std::strerror(errno);
  Socket accepted(accept(listener.fd(), nullptr, nullptr));
  ASSERT_GE(accepted.fd(), 0);

  const std::string peer = absl::StrCat("ipv4:127.0.0.1:", LocalPort(client.fd()));
  PeerInfo info = IdentifyPeer(peer, server_port);
  EXPECT_TRUE(info.same_host) << info.why;
  EXPECT_EQ(info.uid, kNobody) << info.why;
  absl::Status status = CheckSharedMemoryPeer(peer, server_port);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_NE(status.message().find("uid 65534"), absl::string_view::npos) << status;
}

TEST(IdentifyPeerLiveTest, Ipv6LoopbackConnectionBelongsToThisUser) {
  Socket listener(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 any_port = Ipv6("::1", 0);
  if (!Listen(listener, reinterpret_cast<sockaddr*>(&any_port), sizeof(any_port))) {
    GTEST_SKIP() << "no IPv6 loopback here: " << std::strerror(errno);
  }
  const int server_port = LocalPort(listener.fd());
  Socket client(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 server = Ipv6("::1", server_port);
  ASSERT_EQ(connect(client.fd(), reinterpret_cast<sockaddr*>(&server), sizeof(server)), 0)
      << std::strerror(errno);
  Socket accepted(accept(listener.fd(), nullptr, nullptr));
  ASSERT_GE(accepted.fd(), 0);
  const int client_port = LocalPort(client.fd());

  for (const std::string& peer :
       {absl::StrCat("ipv6:[::1]:", client_port), absl::StrCat("ipv6:%5B::1%5D:", client_port)}) {
    PeerInfo info = IdentifyPeer(peer, server_port);
    EXPECT_TRUE(info.same_host) << peer << ": " << info.why;
    EXPECT_EQ(info.uid, geteuid()) << peer << ": " << info.why;
    EXPECT_TRUE(CheckSharedMemoryPeer(peer, server_port).ok()) << peer;
  }
}

TEST(IdentifyPeerLiveTest, Ipv6SocketOnAnIpv4MappedAddress) {
  // A dual-stack listener, and a v6 client socket connecting to
  // ::ffff:127.0.0.1: its row is in /proc/net/tcp6, and gRPC names the peer
  // 127.0.0.1.
  Socket listener(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int off = 0;
  if (listener.fd() < 0 ||
      setsockopt(listener.fd(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0) {
    GTEST_SKIP() << "no dual-stack sockets here";
  }
  sockaddr_in6 any_port = Ipv6("::", 0);
  if (!Listen(listener, reinterpret_cast<sockaddr*>(&any_port), sizeof(any_port))) {
    GTEST_SKIP() << "no IPv6 here: " << std::strerror(errno);
  }
  const int server_port = LocalPort(listener.fd());
  Socket client(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 server = Ipv6("::ffff:127.0.0.1", server_port);
  ASSERT_EQ(connect(client.fd(), reinterpret_cast<sockaddr*>(&server), sizeof(server)), 0)
      << std::strerror(errno);
  Socket accepted(accept(listener.fd(), nullptr, nullptr));
  ASSERT_GE(accepted.fd(), 0);
  const int client_port = LocalPort(client.fd());

  PeerInfo info = IdentifyPeer(absl::StrCat("ipv4:127.0.0.1:", client_port), server_port);
  EXPECT_TRUE(info.same_host) << info.why;
  EXPECT_EQ(info.uid, geteuid()) << info.why;
}

}  // namespace
}  // namespace tensord::server
