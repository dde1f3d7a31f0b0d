package artifact

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// ErrNotCreateOnly reports a store that accepted a second create-only
// write of one key: it ignores If-None-Match (several S3-compatible stores
// and proxies do), so concurrent writers of a log would overwrite each
// other's entries. See BucketOptions.SingleWriter for the way out.
var ErrNotCreateOnly = errors.New("artifact: the store ignores create-only writes (If-None-Match: *); concurrent log writers would lose updates")

// probeDir holds the objects of the create-only probe, under the prefix.
const probeDir = ".sextant/probe/"

// checkCreateOnly verifies once per Bucket, before the first conditional
// write, that the store refuses a second create of one key. A store that
// fails the check is remembered and every CreateOnly returns
// ErrNotCreateOnly; a probe that could not finish (the store unreachable)
// is tried again by the next call.
func (b *Bucket) checkCreateOnly(ctx context.Context) error {
	b.probeMu.Lock()
	defer b.probeMu.Unlock()
	if b.probed {
		return b.probeOK
	}
	key := b.prefix + probeDir + fmt.Sprintf("%016x%016x", rand.Uint64(), rand.Uint64())
	if err := b.createRemote(ctx, key, []byte("first")); err != nil {
		return fmt.Errorf("artifact: probe create-only writes: %w", err)
	}
	second := b.createRemote(ctx, key, []byte("second"))
	_ = b.once(context.WithoutCancel(ctx), func(ctx context.Context) error { return b.b.Delete(ctx, key) })
	switch {
	case second == nil:
		b.probed, b.probeOK = true, fmt.Errorf("%w: a second create of %s succeeded; use a store with conditional writes, or BucketOptions.SingleWriter if one process writes", ErrNotCreateOnly, key)
	case errors.Is(second, ErrExist):
		b.probed = true
	default:
		return fmt.Errorf("artifact: probe create-only writes: %w", second)
	}
	return b.probeOK
}

// once runs op with the per-try timeout.
func (b *Bucket) once(ctx context.Context, op func(context.Context) error) error {
	if b.timeout <= 0 {
		return op(ctx)
	}
	tctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	err := op(tctx)
	if err != nil && ctx.Err() == nil && tctx.Err() != nil {
		return fmt.Errorf("%w (artifact: no answer from the store within %v)", err, b.timeout)
	}
	return err
}

// retry runs op, an operation safe to repeat, with the per-try timeout,
// and tries it again after errors that may pass.
func (b *Bucket) retry(ctx context.Context, op func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := b.once(ctx, op)
		if err == nil || attempt >= b.retries || !transient(ctx, err) {
			return err
		}
		pause := min(50*time.Millisecond<<attempt, time.Second)
		t := time.NewTimer(pause/2 + rand.N(pause/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// transient reports whether err may pass on a second try: not a verdict
// of the store about the key (absent, present, refused), and not the
// caller giving up.
func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrExist) || errors.Is(err, ErrInvalidKey) {
		return false
	}
	switch gcerrors.Code(err) {
	case gcerrors.Unknown, gcerrors.Internal, gcerrors.DeadlineExceeded, gcerrors.ResourceExhausted:
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// listNext fetches the next listed object with the per-try timeout.
func (b *Bucket) listNext(ctx context.Context, it *blob.ListIterator) (obj *blob.ListObject, err error) {
	err = b.once(ctx, func(ctx context.Context) error {
		obj, err = it.Next(ctx)
		return err
	})
	return obj, err
}
