"""Peer groups, supervision sessions and series, who supervises whom 1:1, compliance and calendar feeds."""
