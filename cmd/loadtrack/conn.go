package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// caller makes track calls one at a time on its own keep-alive connection.
// It writes each request's bytes itself and reads the answer with
// http.ReadResponse, as wrk does, instead of going through http.Client:
// on a 2-core machine shared with the server, the client's transport
// (a goroutine pair per connection, a pool, a request object per call)
// cost as much CPU as the server's work on the call, and measured the
// driver more than the server.
type caller struct {
	addr, host, key, action string
	conn                    net.Conn
	r                       *bufio.Reader
	w                       *bufio.Writer
	body, req               []byte
}

func newCaller(base, key, action string) (*caller, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("-url must be http://host:port, got %q", base)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return &caller{addr: addr, host: u.Host, key: key, action: action}, nil
}

// track makes one call; amounts vary so the rules see small and large.
func (c *caller) track(user, idem string, n int64) (string, error) {
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
		if err != nil {
			return "", err
		}
		c.conn, c.r, c.w = conn, bufio.NewReaderSize(conn, 8<<10), bufio.NewWriterSize(conn, 8<<10)
	}
	c.body = append(c.body[:0], `{"ipAddress":"198.51.100.`...)
	c.body = strconv.AppendInt(c.body, n%250+1, 10)
	c.body = append(c.body, `","userAgent":"Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0","idempotencyKey":`...)
	c.body = strconv.AppendQuote(c.body, idem)
	c.body = append(c.body, `,"custom":{"amount":`...)
	c.body = strconv.AppendInt(c.body, n%2000, 10)
	c.body = append(c.body, "}}"...)

	c.req = append(c.req[:0], "POST /v1/users/"...)
	c.req = append(c.req, url.PathEscape(user)...)
	c.req = append(c.req, "/actions/"...)
	c.req = append(c.req, url.PathEscape(c.action)...)
	c.req = append(c.req, " HTTP/1.1\r\nHost: "...)
	c.req = append(c.req, c.host...)
	c.req = append(c.req, "\r\nAuthorization: Bearer "...)
	c.req = append(c.req, c.key...)
	c.req = append(c.req, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	c.req = strconv.AppendInt(c.req, int64(len(c.body)), 10)
	c.req = append(c.req, "\r\n\r\n"...)
	c.req = append(c.req, c.body...)

	state, err := c.exchange()
	if err != nil {
		c.close()
	}
	return state, err
}

func (c *caller) exchange() (string, error) {
	c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.w.Write(c.req); err != nil {
		return "", err
	}
	if err := c.w.Flush(); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return "", err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if err != nil {
		return "", err
	}
	if resp.Close {
		c.close()
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, data)
	}
	var out struct {
		State string `json:"state"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return "", err
	}
	return out.State, nil
}

func (c *caller) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}
