package artifact

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
)

// errStopList ends the one-page listing s3Target uses to learn the
// bucket's name.
var errStopList = errors.New("artifact: stop listing")

// s3Target returns the S3 client and bucket name behind b, or false when b
// is not on S3. gocloud's s3blob hands out its client through As, and the
// bucket name through the request input of a listing, which is stopped
// before it is sent.
func s3Target(ctx context.Context, b *blob.Bucket) (*s3.Client, string, bool) {
	var client *s3.Client
	if !b.As(&client) || client == nil {
		return nil, "", false
	}
	var name string
	it := b.List(&blob.ListOptions{BeforeList: func(as func(any) bool) error {
		var v2 *s3.ListObjectsV2Input
		var v1 *s3.ListObjectsInput
		switch {
		case as(&v2) && v2 != nil:
			name = aws.ToString(v2.Bucket)
		case as(&v1) && v1 != nil:
			name = aws.ToString(v1.Bucket)
		}
		return errStopList
	}})
	it.Next(ctx) //nolint:errcheck // the listing is stopped on purpose
	return client, name, name != ""
}

// abortStaleMultipart aborts the multipart uploads under the store's
// directory that were started before cutoff: a Put or PutKnown whose
// process died before it could complete or abort its upload leaves one
// behind, invisible to listing and billed until aborted. It returns how
// many it aborted (or, with dryRun, would abort). On other backends it
// does nothing.
func (s *Store) abortStaleMultipart(ctx context.Context, cutoff time.Time, dryRun bool) (int, error) {
	client, bucket, ok := s3Target(ctx, s.b.Blob())
	if !ok {
		return 0, nil
	}
	prefix := s.b.Prefix() + s.root
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}
	n := 0
	for {
		out, err := client.ListMultipartUploads(ctx, in)
		if isNoSuchUpload(err) {
			return n, nil // how some servers (gofakes3) answer when there are none
		}
		if err != nil {
			return n, fmt.Errorf("artifact: gc list multipart uploads under %s: %w", prefix, err)
		}
		for _, u := range out.Uploads {
			if u.Initiated == nil || !u.Initiated.Before(cutoff) {
				continue
			}
			if !dryRun {
				_, err := client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId})
				if err != nil && !isNoSuchUpload(err) {
					return n, fmt.Errorf("artifact: gc abort multipart upload of %s: %w", aws.ToString(u.Key), err)
				}
			}
			s.log.DebugContext(ctx, "artifact: gc abort multipart upload", "key", aws.ToString(u.Key), "initiated", *u.Initiated, "dry_run", dryRun)
			n++
		}
		if !aws.ToBool(out.IsTruncated) {
			return n, nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
		if aws.ToString(in.KeyMarker) == "" && aws.ToString(in.UploadIdMarker) == "" {
			return n, nil // a server that truncates without markers would loop
		}
	}
}

// isNoSuchUpload reports an upload completed or aborted meanwhile.
func isNoSuchUpload(err error) bool {
	var nsu interface{ ErrorCode() string }
	return errors.As(err, &nsu) && nsu.ErrorCode() == "NoSuchUpload"
}
