"""The root types every resolver module adds its fields to."""
from ariadne import MutationType, QueryType

query = QueryType()
mutation = MutationType()
