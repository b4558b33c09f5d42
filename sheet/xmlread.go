package sheet

import (
	"bufio"
	"bytes"
	"io"
)

// sliceReader is bufio.Reader's ReadSlice alone (same results, same
// errors), with its buffer open to the scanner, which handles the short
// tags of most cells in place, without a search.
type sliceReader struct {
	rd   io.Reader
	buf  []byte
	r, w int
	err  error
}

func newSliceReader(rd io.Reader, size int) *sliceReader {
	return &sliceReader{rd: rd, buf: make([]byte, max(size, 16))}
}

// ReadSlice reads through the first delim and returns a slice of the
// buffer, valid until the next read; bufio.ErrBufferFull when the buffer
// fills without a delim, the read error at the end of the input.
func (b *sliceReader) ReadSlice(delim byte) ([]byte, error) {
	s := 0 // search start: the bytes before were searched already
	for {
		if i := bytes.IndexByte(b.buf[b.r+s:b.w], delim); i >= 0 {
			i += b.r + s
			line := b.buf[b.r : i+1]
			b.r = i + 1
			return line, nil
		}
		if b.err != nil {
			line, err := b.buf[b.r:b.w], b.err
			b.r, b.err = b.w, nil
			return line, err
		}
		if b.w-b.r >= len(b.buf) {
			b.r = b.w
			return b.buf, bufio.ErrBufferFull
		}
		s = b.w - b.r
		b.fill()
	}
}

// skip consumes the next byte if it is c.
func (b *sliceReader) skip(c byte) bool {
	if b.r < b.w && b.buf[b.r] == c {
		b.r++
		return true
	}
	return false
}

// fill slides the unread bytes to the front and reads more, as bufio does.
func (b *sliceReader) fill() {
	if b.r > 0 {
		copy(b.buf, b.buf[b.r:b.w])
		b.w -= b.r
		b.r = 0
	}
	for range 100 {
		n, err := b.rd.Read(b.buf[b.w:])
		if n < 0 || n > len(b.buf)-b.w {
			b.err = errNegativeRead
			return
		}
		b.w += n
		if err != nil {
			b.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	b.err = io.ErrNoProgress
}

var errNegativeRead = bufio.ErrNegativeCount
