// Stands in for @aws-sdk/core's XmlShapeSerializer in the Worker bundle (see
// scripts/worker-bundle-trims.ts), and so for the XML builder only it uses (~6 KB). S3's REST-XML
// protocol writes an XML body only for operations with a structure payload (bucket configuration,
// DeleteObjects, CompleteMultipartUpload...); the control plane sends PutObject, whose body is its
// stream payload, and GetObject, which has none: every other member goes to the path, query or headers
// (test/unit/worker-s3-requests.test.ts compares the requests with the SDK's). The S3 client still
// builds the serializer, so this one builds, and fails any XML it would write, saying why.
function leftOut(): Error {
  return new Error(
    "AWS SDK XML request bodies are left out of the Rewind Worker bundle (control-plane/src/storage/no-xml-serializer.ts); the control plane's S3 operations send none",
  );
}

export class XmlShapeSerializer {
  setSerdeContext(): void {}

  write(): never {
    throw leftOut();
  }

  flush(): never {
    throw leftOut();
  }
}
