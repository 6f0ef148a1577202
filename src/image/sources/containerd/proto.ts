/**
 * The subset of containerd's gRPC API this source calls, as a protobufjs JSON descriptor (no .proto
 * file to ship next to the compiled code). Message and field numbers from containerd 1.6
 * api/services/images/v1/images.proto, api/services/content/v1/content.proto and
 * api/types/descriptor.proto; written for runwarden.
 */
const timestamp = { type: 'google.protobuf.Timestamp' };

export const CONTAINERD_PROTO = {
  nested: {
    google: { nested: { protobuf: { nested: { Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } } } } } },
    containerd: {
      nested: {
        types: {
          nested: {
            Descriptor: {
              fields: {
                media_type: { type: 'string', id: 1 },
                digest: { type: 'string', id: 2 },
                size: { type: 'int64', id: 3 },
                annotations: { keyType: 'string', type: 'string', id: 5 },
              },
            },
          },
        },
        services: {
          nested: {
            images: {
              nested: {
                v1: {
                  nested: {
                    Images: {
                      methods: {
                        Get: { requestType: 'GetImageRequest', responseType: 'GetImageResponse' },
                        List: { requestType: 'ListImagesRequest', responseType: 'ListImagesResponse' },
                      },
                    },
                    Image: {
                      fields: {
                        name: { type: 'string', id: 1 },
                        labels: { keyType: 'string', type: 'string', id: 2 },
                        target: { type: 'containerd.types.Descriptor', id: 3 },
                        created_at: { ...timestamp, id: 7 },
                        updated_at: { ...timestamp, id: 8 },
                      },
                    },
                    GetImageRequest: { fields: { name: { type: 'string', id: 1 } } },
                    GetImageResponse: { fields: { image: { type: 'Image', id: 1 } } },
                    ListImagesRequest: { fields: { filters: { rule: 'repeated', type: 'string', id: 1 } } },
                    ListImagesResponse: { fields: { images: { rule: 'repeated', type: 'Image', id: 1 } } },
                  },
                },
              },
            },
            content: {
              nested: {
                v1: {
                  nested: {
                    Content: {
                      methods: {
                        Info: { requestType: 'InfoRequest', responseType: 'InfoResponse' },
                        Read: { requestType: 'ReadContentRequest', responseType: 'ReadContentResponse', responseStream: true },
                      },
                    },
                    Info: {
                      fields: {
                        digest: { type: 'string', id: 1 },
                        size: { type: 'int64', id: 2 },
                        created_at: { ...timestamp, id: 3 },
                        updated_at: { ...timestamp, id: 4 },
                        labels: { keyType: 'string', type: 'string', id: 5 },
                      },
                    },
                    InfoRequest: { fields: { digest: { type: 'string', id: 1 } } },
                    InfoResponse: { fields: { info: { type: 'Info', id: 1 } } },
                    ReadContentRequest: { fields: { digest: { type: 'string', id: 1 }, offset: { type: 'int64', id: 2 }, size: { type: 'int64', id: 3 } } },
                    ReadContentResponse: { fields: { offset: { type: 'int64', id: 1 }, data: { type: 'bytes', id: 2 } } },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};
