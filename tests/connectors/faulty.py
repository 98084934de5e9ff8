from incident.sandbox.faulty import FaultyUpstream as FaultyUpstream  # moved to incident/sandbox/faulty.py
