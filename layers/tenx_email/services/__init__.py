"""Business rules. Functions call one service function; services call dal and adapters."""
