"""The market's API shapes, one module per subject. Serializers check the shape of input (types,
lengths, whole cents); the services check every rule, so the API and the pages refuse the same things."""
