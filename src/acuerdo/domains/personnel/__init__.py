"""Personnel: covered persons and their coverage under the agreement, movement orders,
arrivals and departures, and presence (who is in the country), derived from those records.
"""
