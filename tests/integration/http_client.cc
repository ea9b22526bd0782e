// Blocking HTTP/1.1 over a loopback socket (see http_client.h).
#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace kite::it {
namespace {

constexpr int kTimeoutMs = 10'000;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

nlohmann::json HttpResponse::json() const {
  return nlohmann::json::parse(body, nullptr, false);
}

HttpClient::HttpClient(std::uint16_t port, std::string token)
    : port_(port), token_(std::move(token)) {}

std::optional<HttpResponse> HttpClient::try_request(const std::string& method,
                                                    const std::string& path,
                                                    const std::string& body, bool with_token,
                                                    const std::string& extra_headers) const {
  Fd sock{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (sock.fd < 0) return std::nullopt;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port_);
  if (::connect(sock.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    return std::nullopt;

  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  request += "Connection: close\r\n";
  if (with_token) request += "Authorization: Bearer " + token_ + "\r\n";
  if (!body.empty() || method == "POST") {
    request += "Content-Type: application/json\r\n";
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += extra_headers;
  request += "\r\n";
  request += body;
  if (!write_all(sock.fd, request)) return std::nullopt;

  // Read until the whole body (Content-Length) or EOF.
  std::string data;
  char buffer[16384];
  std::size_t header_end = std::string::npos, content_length = std::string::npos;
  for (;;) {
    if (header_end != std::string::npos && content_length != std::string::npos &&
        data.size() >= header_end + 4 + content_length)
      break;
    pollfd p{sock.fd, POLLIN, 0};
    int ready = ::poll(&p, 1, kTimeoutMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    ssize_t n = ::recv(sock.fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::string head = data.substr(0, header_end);
        for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto at = head.find("content-length:");
        if (at != std::string::npos) content_length = std::stoull(head.substr(at + 15));
      }
    }
  }
  if (header_end == std::string::npos || data.rfind("HTTP/1.", 0) != 0) return std::nullopt;
  HttpResponse response;
  response.status = std::atoi(data.c_str() + 9);
  response.headers = data.substr(0, header_end);
  response.body = data.substr(header_end + 4);
  if (content_length != std::string::npos && response.body.size() > content_length)
    response.body.resize(content_length);
  return response;
}

HttpResponse HttpClient::request(const std::string& method, const std::string& path,
                                 const std::string& body, bool with_token,
                                 const std::string& extra_headers) const {
  auto response = try_request(method, path, body, with_token, extra_headers);
  if (!response) throw std::runtime_error("no HTTP answer to " + method + " " + path);
  return *response;
}

HttpResponse HttpClient::send(const std::string& device, const std::string& payload, int qos,
                              const nlohmann::json& extra) const {
  nlohmann::json body = extra;
  body["payload"] = payload;
  body["qos"] = qos;
  return request("POST", "/v1/devices/" + device + "/messages", body.dump());
}

nlohmann::json HttpClient::device(const std::string& device) const {
  auto response = request("GET", "/v1/devices/" + device);
  if (response.status != 200)
    throw std::runtime_error("GET /v1/devices/" + device + ": " + std::to_string(response.status) +
                             " " + response.body);
  return response.json();
}

}  // namespace kite::it
