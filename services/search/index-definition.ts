/** The search index: a versioned physical index behind a stable alias (ARCHITECTURE.md, "Names"). */
export const alias = 'events';
export const indexVersion = 1;
export const indexName = `${alias}-v${indexVersion}`;

/**
 * Text fields use the standard analyzer (the language analyzers live in a module our local
 * Elasticsearch does not have), with keyword sub-fields for facets and sorting.
 */
export const indexBody = {
  settings: { number_of_shards: 1, number_of_replicas: 0 },
  mappings: {
    dynamic: 'strict' as const,
    properties: {
      id: { type: 'keyword' as const },
      version: { type: 'long' as const },
      name: { type: 'text' as const, fields: { raw: { type: 'keyword' as const, ignore_above: 256 } } },
      description: { type: 'text' as const },
      category: { type: 'keyword' as const },
      startsAt: { type: 'date' as const },
      endsAt: { type: 'date' as const },
      venue: { type: 'text' as const, fields: { raw: { type: 'keyword' as const, ignore_above: 256 } } },
      city: { type: 'keyword' as const },
      country: { type: 'keyword' as const },
      capacity: { type: 'integer' as const },
      priceMinor: { type: 'long' as const },
      currency: { type: 'keyword' as const },
      organizerId: { type: 'keyword' as const },
      status: { type: 'keyword' as const },
      createdAt: { type: 'date' as const },
      updatedAt: { type: 'date' as const },
    },
  },
};
